// The sha256 manifest written beside every archive, `NAME.sha256`:
//
//   # backplan archive manifest v1
//   # archive NAME: N files, B bytes
//   <sha256 of the archive file>  NAME
//   <sha256 of a member>  <member path inside the archive>
//   ...
//
// Lines are in the format of `sha256sum` (two spaces between hash and name); a name holding a
// newline or a backslash is escaped as GNU sha256sum does (`\n`, `\\`, and the line starts
// with `\`). Names are bytes: a name that is not UTF-8 is written with its own bytes, as
// sha256sum writes it, so the file is the same as before for every other name. In memory the
// text is a string of those bytes (names.ts): `manifestBytes` writes it, `parseManifest` reads
// either. The first line that is not a comment is the archive itself, so
// `sha256sum -c --ignore-missing NAME.sha256` run in the archive's directory checks the
// archive with standard tools; the member lines are checked by `backplan verify`, which
// restores the archive into a scratch directory and hashes what it restored. Members are
// regular files (hard links carry their target's hash); directories and symbolic links are
// restored but not listed.

import { nameBytes, nameString } from './names';

export const MANIFEST_HEADER = '# backplan archive manifest v1';

export interface ManifestEntry {
  path: string;
  sha256: string;
}

export interface Manifest {
  archive: ManifestEntry & { bytes?: number };
  members: ManifestEntry[];
}

function escapeName(name: string): { name: string; escaped: boolean } {
  if (!/[\\\n\r]/.test(name)) return { name, escaped: false };
  return { name: name.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/\r/g, '\\r'), escaped: true };
}

function unescapeName(name: string): string {
  return name.replace(/\\(\\|n|r)/g, (_, c: string) => (c === 'n' ? '\n' : c === 'r' ? '\r' : '\\'));
}

function line(e: ManifestEntry): string {
  const { name, escaped } = escapeName(e.path);
  return `${escaped ? '\\' : ''}${e.sha256}  ${name}`;
}

export function formatManifest(m: Manifest): string {
  const lines = [
    MANIFEST_HEADER,
    `# archive ${escapeName(m.archive.path).name}: ${m.members.length} ` +
      `files${m.archive.bytes !== undefined ? `, ${m.archive.bytes} bytes` : ''}`,
    line(m.archive),
  ];
  for (const e of m.members) lines.push(line(e));
  return `${lines.join('\n')}\n`;
}

/** The manifest file's bytes. */
export function manifestBytes(m: Manifest): Buffer {
  return nameBytes(formatManifest(m));
}

export class ManifestError extends Error {}

export function parseManifest(file: string | Buffer): Manifest {
  const text = typeof file === 'string' ? file : nameString(file);
  const lines = text.split('\n');
  if (lines[0] !== MANIFEST_HEADER) throw new ManifestError('not a Backplan archive manifest (first line)');
  const entries: ManifestEntry[] = [];
  let bytes: number | undefined;
  for (const [i, raw] of lines.entries()) {
    if (raw === '') continue;
    if (raw.startsWith('#')) {
      const m = /^# archive .*: \d+ files, (\d+) bytes$/.exec(raw);
      if (m) bytes = Number(m[1]);
      continue;
    }
    const escaped = raw.startsWith('\\');
    const body = escaped ? raw.slice(1) : raw;
    const m = /^([0-9a-f]{64}) {2}(.*)$/.exec(body);
    if (!m) throw new ManifestError(`line ${i + 1} is not \`SHA256  NAME\``);
    entries.push({ sha256: m[1], path: escaped ? unescapeName(m[2]) : m[2] });
  }
  if (entries.length === 0) throw new ManifestError('the manifest lists nothing');
  const [archive, ...members] = entries;
  return { archive: { ...archive, ...(bytes !== undefined ? { bytes } : {}) }, members };
}
