// archive — built in, no external tool: tar + gzip of `paths` (read on this machine) into a dated
// file in `<to.path>/<job>/`, with a sha256 manifest beside it; optionally gpg-encrypted.
// Pruned natively (Backplan lists the files and applies the policy).
import type { JobModel, PlanModel } from '../../plan/model';
import { LOCAL } from '../exec/quote';
import { Kit, type DriverContext, type DriverResult } from '../steps/driver-kit';

export function steps(job: JobModel, plan: PlanModel, ctx: DriverContext): DriverResult {
  const k = new Kit(job, plan, ctx);
  const host = k.jobHost();
  if (host !== LOCAL)
    k.err(
      `archive is built in and reads paths on this machine only; host \`${job.host}\` is remote (use rsync, restic ` +
        `or borg there)`,
      k.at('host'),
    );
  const paths = k.paths();
  const exclude = k.excludes();
  const to = k.storage(job.to, 'to');
  const outHost = to ? k.storageHost(to) : LOCAL;
  const base = to ? k.storagePath(to) : undefined;
  const gpg = k.gpgStage(host);
  const ext = gpg ? '.tar.gz.gpg' : '.tar.gz';
  const named = k.copyName(`${job.name}-`, ext);
  const policy = k.policy();
  if (k.errors.length || !base || !named) return k.result();

  const dir = `${base}/${job.name}`;
  const output = k.fileOutput(outHost, dir, `${named.name}${ext}`);
  const inventory = { type: 'files' as const, host: outHost, dir, match: `${named.match}${ext}` };
  k.mkdir(outHost, dir);
  k.add({
    type: 'builtin',
    phase: 'backup',
    description: `archive ${paths.join(', ')} to ${output.path}`,
    host,
    builtin: {
      op: 'archive',
      paths,
      exclude,
      format: 'tar.gz',
      manifest: { host: outHost, path: `${output.path}.sha256`, partial: `${output.path}.sha256.partial` },
      inventory,
    },
    ...(gpg ? { pipe: [gpg] } : {}),
    output,
    notes: gpg
      ? ['the recipient key must be in the keyring of this machine and trusted (gpg --batch refuses untrusted keys)']
      : undefined,
  });
  if (policy) k.prune(`prune ${dir} by policy`, outHost, policy, inventory);
  return k.result();
}
