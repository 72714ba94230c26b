// Restoring an `archive` copy: the archive streamed from where it is stored, through
// `gpg --decrypt` for a `.gpg` copy (as verify does), extracted by builtin/restore.ts into the
// restore's `.partial` directory and every restored file checked against the manifest there;
// only a copy whose archive sha256 and member checksums all match is kept (the operation then
// renames it to the target), so nothing reaches the target from a damaged copy.
import { fsFor, type HostFs } from '../exec/files';
import { LOCAL } from '../exec/quote';
import { ManifestError, parseManifest } from '../builtin/manifest';
import { restoreAndCompare } from '../builtin/restore';
import { gpgDecryptArgv } from '../builtin/dump-source';
import { builtinStep, listInventory, rel, storageOf } from './common';
import { RestoreError, type FileRestorer } from './types';

/** A manifest's bytes (names in it may not be UTF-8). */
async function readAll(fs: HostFs, path: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of fs.read(path)) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

export const archiveRestorer: FileRestorer = {
  target: 'files',
  targetHost: () => LOCAL,
  async list(ctx) {
    const inv = builtinStep(ctx).builtin.inventory;
    if (!inv || inv.type !== 'files') throw new RestoreError(`job ${ctx.job.name}: no archive inventory`);
    return listInventory(ctx, inv, storageOf(ctx.job), "the job's own storage", { needManifest: true });
  },
  restore(ctx, copy, root, include) {
    const gpg = builtinStep(ctx).pipe?.[0]?.argv[0] ?? 'gpg';
    return [
      {
        description:
          `extract ${copy.path}${copy.host === LOCAL ? '' : ` (read from ${copy.host})`} into ${root}` +
          `${copy.name.endsWith('.gpg') ? ' through gpg --decrypt' : ''} and check every file against ${copy.manifest}`,
        host: LOCAL,
        async run() {
          const fs = fsFor(copy.host, ctx.x.hosts);
          if (!copy.manifest) throw new RestoreError(`${copy.name} has no manifest (${copy.path}.sha256)`);
          let manifest;
          try {
            manifest = parseManifest(await readAll(fs, copy.manifest));
          } catch (e) {
            if (e instanceof ManifestError) throw new RestoreError(`${copy.manifest}: ${e.message}`);
            throw new RestoreError(`cannot read ${copy.manifest}: ${(e as Error).message}`);
          }
          const r = await restoreAndCompare(fs.read(copy.path), manifest, {
            into: root,
            ...(include.length ? { include: include.map(rel) } : {}),
            ...(copy.name.endsWith('.gpg') ? { decrypt: { argv: gpgDecryptArgv(gpg) } } : {}),
          });
          if (!r.ok)
            throw new RestoreError(
              `${copy.name} does not match its manifest, nothing was restored: ${r.problems.slice(0, 3).join('; ')}` +
                `${r.problems.length > 3 ? ` (and ${r.problems.length - 3} more)` : ''}`,
            );
        },
      },
    ];
  },
};
