// File names as bytes in the built-in archive (issue #16): the lossless name strings, our tar
// writer against GNU tar both ways, archives written by earlier versions (the npm `tar`
// package) still restoring, the manifest's bytes checked by sha256sum, and the extractor
// refusing names that would leave its target.
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import {
  createWriteStream,
  existsSync,
  linkSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { gzipSync } from 'node:zlib';
import * as npmTar from 'tar';
import { afterEach, describe, expect, it } from 'vitest';
import { createArchive } from '../../../engine/run/builtin/archive';
import { manifestBytes, parseManifest, type Manifest } from '../../../engine/run/builtin/manifest';
import { displayName, nameBytes, nameString } from '../../../engine/run/builtin/names';
import { restoreAndCompare } from '../../../engine/run/builtin/restore';
import { TAR_END, tarHeader, tarPadding } from '../../../engine/run/builtin/tar';
import { hostileTree, NON_UTF8_NAME, writeHostileTree } from '../../helpers/hostile-names';
import { hasTool } from '../../helpers/integration';

const temps: string[] = [];
afterEach(() => {
  for (const d of temps.splice(0)) rmSync(d, { recursive: true, force: true });
});
function temp(): string {
  const d = mkdtempSync(join(tmpdir(), 'bp-names-'));
  temps.push(d);
  return d;
}

const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

/** A source tree with every hostile name, a hard link and a symlink whose long target is not UTF-8. */
function source(d: string): string {
  const src = join(d, 'src');
  mkdirSync(src);
  writeHostileTree(src);
  writeFileSync(join(src, 'big.bin'), randomBytes(300_001));
  linkSync(join(src, 'big.bin'), join(src, 'big-link'));
  const target = Buffer.concat([Buffer.from('../'), Buffer.from([0xff, 0xfe]), Buffer.from('t'.repeat(150))]);
  symlinkSync(target, Buffer.from(join(src, 'sym')));
  return src;
}

/** One member of a hand-made tar stream. */
function entry(name: string, type: 'file' | 'symlink' | 'link', data = '', linkname?: string): Buffer {
  const body = Buffer.from(data);
  const head = { name: Buffer.from(name), type, mode: 0o644, uid: 0, gid: 0, size: body.length, mtime: 0 };
  return Buffer.concat([
    tarHeader({ ...head, ...(linkname ? { linkname: Buffer.from(linkname) } : {}) }),
    body,
    tarPadding(body.length),
  ]);
}

async function archive(src: string, file: string): Promise<Manifest> {
  const a = createArchive({ paths: [src], exclude: [] });
  await pipeline(a.stream, createWriteStream(file));
  const members = await a.members;
  return { archive: { path: 'a.tar.gz', sha256: sha(readFileSync(file)), bytes: readFileSync(file).length }, members };
}

describe('name strings', () => {
  it('carry any bytes without loss and leave UTF-8 names as they were', () => {
    for (let i = 0; i < 500; i++) {
      const b = randomBytes(1 + (i % 40));
      expect(nameBytes(nameString(b)).equals(b)).toBe(true);
    }
    for (const s of ['plain', 'ünïcødé ✓', 'emoji 💀 (U+1F480, a pair ending in DC80)', 'back\\slash'])
      expect(nameString(Buffer.from(s))).toBe(s);
    expect(nameBytes('💀').equals(Buffer.from('💀'))).toBe(true);
    // Overlong forms and encoded surrogates are not UTF-8.
    for (const bad of [[0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xe9]])
      expect(nameBytes(nameString(Buffer.from(bad))).equals(Buffer.from(bad))).toBe(true);
    expect(displayName(NON_UTF8_NAME)).toBe('latin1-\\xe9t\\xe9');
    expect(displayName('new\nline')).toBe('new\\x0aline');
  });
});

describe('built-in archive, names as bytes', () => {
  it('GNU tar extracts our archive byte for byte, and sha256sum checks every member of the manifest', async () => {
    const d = temp();
    const src = source(d);
    const file = join(d, 'a.tar.gz');
    const m = await archive(src, file);
    expect(m.members.map((x) => x.path)).toContain(`${src.slice(1)}/${nameString(NON_UTF8_NAME)}`);
    const out = join(d, 'x');
    mkdirSync(out);
    const r = spawnSync('tar', ['-xzf', file, '-C', out], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(hostileTree(join(out, src))).toEqual(hostileTree(src));
    // The manifest holds the name's own bytes, as sha256sum writes them.
    const bytes = manifestBytes(m);
    expect(bytes.includes(Buffer.concat([Buffer.from('/'), NON_UTF8_NAME, Buffer.from('\n')]))).toBe(true);
    expect(parseManifest(bytes)).toEqual(m);
    if (hasTool('sha256sum')) {
      const members = manifestBytes({ ...m, archive: { path: 'absent', sha256: m.archive.sha256 } });
      writeFileSync(join(out, 'm.sha256'), members);
      const c = spawnSync('sha256sum', ['-c', '--quiet', '--ignore-missing', 'm.sha256'], {
        cwd: out,
        encoding: 'utf8',
      });
      expect(c.stdout + c.stderr).toBe('');
      expect(c.status).toBe(0);
    }
    const v = await restoreAndCompare(Readable.from(readFileSync(file)), parseManifest(bytes), { scratchParent: d });
    expect(v).toMatchObject({ ok: true, problems: [] });
    expect(v.checked).toBe(m.members.length);
  });

  it('restores what GNU tar wrote (long names in its own and in the POSIX format)', async () => {
    const d = temp();
    const src = source(d);
    for (const format of ['gnu', 'posix']) {
      const file = join(d, `${format}.tar.gz`);
      expect(spawnSync('tar', [`--format=${format}`, '-czf', file, '-C', '/', src.slice(1)]).status).toBe(0);
      const ours = await archive(src, join(d, 'ours.tar.gz'));
      const m = { ...ours, archive: { path: 'x', sha256: sha(readFileSync(file)) } };
      const into = join(d, `into-${format}`);
      mkdirSync(into);
      const v = await restoreAndCompare(Readable.from(readFileSync(file)), m, { into });
      expect(v.problems).toEqual([]);
      expect(hostileTree(join(into, src))).toEqual(hostileTree(src));
    }
  });

  it('restores archives written by earlier versions (the npm tar package), their manifests as they were', async () => {
    const d = temp();
    const src = join(d, 'src');
    mkdirSync(src);
    // Those versions lost names that are not UTF-8; everything else they wrote must restore.
    writeHostileTree(src, { nonUtf8: false });
    writeFileSync(join(src, 'a.txt'), 'a\n');
    linkSync(join(src, 'a.txt'), join(src, 'a-link'));
    const file = join(d, 'old.tar.gz');
    await npmTar.c({ gzip: true, cwd: '/', portable: false, file }, [src.slice(1)]);
    const members: Manifest['members'] = [];
    await npmTar.t({
      file,
      onReadEntry: (e) => {
        // Those versions could write a link before its target (fixed: links wait for it).
        if (e.type === 'Link') members.push({ path: e.path, sha256: sha('a\n') });
        if (e.type !== 'File') return e.resume();
        const h = createHash('sha256');
        e.on('data', (c: Buffer) => h.update(c));
        e.on('end', () => members.push({ path: e.path, sha256: h.digest('hex') }));
      },
    });
    const text = manifestBytes({ archive: { path: 'old.tar.gz', sha256: sha(readFileSync(file)) }, members });
    const into = join(d, 'into');
    mkdirSync(into);
    const old = parseManifest(text.toString('utf8'));
    const v = await restoreAndCompare(Readable.from(readFileSync(file)), old, { into });
    expect(v.problems).toEqual([]);
    expect(hostileTree(join(into, src))).toEqual(hostileTree(src));
  });

  it('refuses names that leave the target and writes through symbolic links, writing nothing outside', async () => {
    const d = temp();
    const outside = join(d, 'outside');
    mkdirSync(outside);
    const cases = [
      [entry('../outside/dotdot', 'file', 'x')],
      [entry(join(outside, 'abs'), 'file', 'x')],
      [entry('link', 'symlink', '', outside), entry('link/through', 'file', 'x')],
    ];
    for (const blocks of cases) {
      const gz = gzipSync(Buffer.concat([...blocks, TAR_END]));
      const m: Manifest = { archive: { path: 'x', sha256: sha(gz) }, members: [] };
      const v = await restoreAndCompare(Readable.from(gz), m, { scratchParent: d });
      expect(v.ok).toBe(false);
      expect(v.problems.join('\n')).toMatch(/cannot restore the archive: .*refused/);
    }
    expect(existsSync(join(outside, 'dotdot'))).toBe(false);
    expect(existsSync(join(outside, 'through'))).toBe(false);
    expect(existsSync(join(outside, 'abs'))).toBe(false);
  });

  it('restores a hard link that comes before its target (archives of earlier versions)', async () => {
    const d = temp();
    const gz = gzipSync(Buffer.concat([entry('l', 'link', '', 'f'), entry('f', 'file', 'data\n'), TAR_END]));
    const members = [
      { path: 'l', sha256: sha('data\n') },
      { path: 'f', sha256: sha('data\n') },
    ];
    const into = join(d, 'into');
    mkdirSync(into);
    const m = { archive: { path: 'x', sha256: sha(gz) }, members };
    const v = await restoreAndCompare(Readable.from(gz), m, { into });
    expect(v).toMatchObject({ ok: true, checked: 2 });
    expect(readFileSync(join(into, 'l'), 'utf8')).toBe('data\n');
  });
});
