// Native pruning's pieces (prune/copies.ts) on an in-memory directory: which names are copies,
// which are leftovers to clean and which are never touched; how removals are journalled; and the
// refusals. The real filesystem side (rename to `.deleting-`, then delete) is in the
// integration tests.
import { describe, expect, it } from 'vitest';
import { nativeEngine } from '../../../engine/retention/native';
import type { DirEntry, HostFs, RemoveItem } from '../../../engine/run/exec/files';
import {
  decide,
  inventoryUnsupported,
  listCopies,
  namerOf,
  pruneEngine,
  PruneError,
  removeCopies,
  removePartials,
  type Copy,
  type Listed,
} from '../../../engine/run/prune/copies';
import type { Inventory, PruneSpec } from '../../../engine/run/steps/step';
import { job, plan, policy } from './helpers';

/** A HostFs over a fixed listing that records what it is asked to remove (and can fail). */
function memFs(entries: DirEntry[] | undefined, failOn = new Set<string>()) {
  const calls: string[] = [];
  const fail = (p: string) => {
    if (failOn.has(p)) throw new Error(`EACCES ${p}`);
  };
  const fs = {
    host: 'local',
    list: async () => entries,
    remove: async (path: string, type: string) => {
      calls.push(`remove ${type} ${path}`);
      fail(path);
    },
    removeAll: async (items: readonly RemoveItem[]) => {
      calls.push(`removeAll ${items.map((i) => `${i.type} ${i.path}`).join(', ')}`);
      for (const i of items) fail(i.path);
    },
    purge: async (path: string, type: string) => {
      calls.push(`purge ${type} ${path}`);
      fail(path);
    },
  } as unknown as HostFs;
  return { fs, calls };
}

const files = (match = 'a-*.tar.gz'): Inventory => ({ type: 'files', host: 'local', dir: '/b', match });
const J = job('a', { kind: 'archive' });
const f = (name: string): DirEntry => ({ name, type: 'file' });
const d = (name: string): DirEntry => ({ name, type: 'directory' });
const T1 = Date.UTC(2024, 0, 1);
const T2 = Date.UTC(2024, 0, 2);

describe('listCopies (files and directories)', () => {
  it('takes the names of the job with a time, newest first, and their manifests', async () => {
    const { fs } = memFs([
      f('a-20240101T0000Z.tar.gz'),
      f('a-20240102T0000Z.tar.gz'),
      f('a-20240102T0000Z.tar.gz.sha256'),
      f('b-20240101T0000Z.tar.gz'),
      f('a-20240103T0000Z.tar.gzip'),
    ]);
    const l = await listCopies(files(), J, 'UTC', fs);
    expect(l.copies).toEqual([
      { name: 'a-20240102T0000Z.tar.gz', path: '/b/a-20240102T0000Z.tar.gz', time: T2, type: 'file' },
      { name: 'a-20240101T0000Z.tar.gz', path: '/b/a-20240101T0000Z.tar.gz', time: T1, type: 'file' },
    ]);
    expect([...l.companions]).toEqual([['a-20240102T0000Z.tar.gz', '/b/a-20240102T0000Z.tar.gz.sha256']]);
    expect(l.ignored).toEqual([]);
    expect(l.partials).toEqual([]);
    expect(l.missing).toBeUndefined();
  });

  it('a missing directory lists nothing', async () => {
    const l = await listCopies(files(), J, 'UTC', memFs(undefined).fs);
    expect(l).toEqual({ copies: [], ignored: [], partials: [], companions: new Map() });
  });

  it('ignores, with the reason, names of the glob that are of the wrong type or hold no time', async () => {
    const { fs } = memFs([d('a-20240101T0000Z.tar.gz'), f('a-handmade.tar.gz'), { name: 'a-x.tar.gz', type: 'other' }]);
    const l = await listCopies(files(), J, 'UTC', fs);
    expect(l.copies).toEqual([]);
    expect(l.ignored).toEqual([
      { name: 'a-20240101T0000Z.tar.gz', why: 'is a directory, not a file' },
      { name: 'a-handmade.tar.gz', why: 'its name holds no time this job could have written' },
      { name: 'a-x.tar.gz', why: 'is a other, not a file' },
    ]);
  });

  it('directories inventories take directories', async () => {
    const inv: Inventory = { type: 'directories', host: 'local', dir: '/r', match: '*Z' };
    const { fs } = memFs([d('20240101T0000Z'), f('20240102T0000Z')]);
    const l = await listCopies(inv, job('r', { kind: 'rsync' }), 'UTC', fs);
    expect(l.copies.map((c) => [c.name, c.type, c.path])).toEqual([
      ['20240101T0000Z', 'directory', '/r/20240101T0000Z'],
    ]);
    expect(l.ignored).toEqual([{ name: '20240102T0000Z', why: 'is a file, not a directory' }]);
  });

  it('leftovers of interrupted writes and removals of this job are partials; others are never touched', async () => {
    const { fs } = memFs([
      f('a-20240101T0000Z.tar.gz.partial'),
      f('a-20240101T0000Z.tar.gz.sha256.partial'),
      f('.deleting-a-20240102T0000Z.tar.gz'),
      f('.deleting-a-20240102T0000Z.tar.gz.sha256'),
      f('.deleting-a-20240102T0000Z.tar.gz.partial'),
      d('.deleting-a-20240103T0000Z.tar.gz'),
      f('.deleting-b-20240102T0000Z.tar.gz'),
      f('.deleting-a-handmade.tar.gz'),
      { name: '.deleting-a-20240104T0000Z.tar.gz', type: 'other' },
      f('b-20240101T0000Z.tar.gz.partial'),
      { name: 'a-20240105T0000Z.tar.gz.partial', type: 'other' },
    ]);
    const l = await listCopies(files(), J, 'UTC', fs);
    expect(l.copies).toEqual([]);
    expect(l.ignored).toEqual([]);
    expect(l.partials).toEqual([
      { name: 'a-20240101T0000Z.tar.gz.partial', path: '/b/a-20240101T0000Z.tar.gz.partial', type: 'file' },
      {
        name: 'a-20240101T0000Z.tar.gz.sha256.partial',
        path: '/b/a-20240101T0000Z.tar.gz.sha256.partial',
        type: 'file',
      },
      {
        name: '.deleting-a-20240102T0000Z.tar.gz',
        path: '/b/.deleting-a-20240102T0000Z.tar.gz',
        type: 'file',
        how: 'deleting',
      },
      {
        name: '.deleting-a-20240102T0000Z.tar.gz.sha256',
        path: '/b/.deleting-a-20240102T0000Z.tar.gz.sha256',
        type: 'file',
        how: 'deleting',
      },
      {
        name: '.deleting-a-20240102T0000Z.tar.gz.partial',
        path: '/b/.deleting-a-20240102T0000Z.tar.gz.partial',
        type: 'file',
        how: 'deleting',
      },
      {
        name: '.deleting-a-20240103T0000Z.tar.gz',
        path: '/b/.deleting-a-20240103T0000Z.tar.gz',
        type: 'directory',
        how: 'deleting',
      },
    ]);
  });

  it('a manifest whose archive is gone is an orphan to clean; one of another job, or not a file, is not', async () => {
    const { fs } = memFs([
      f('a-20240101T0000Z.tar.gz.sha256'),
      f('a-20240102T0000Z.tar.gz'),
      f('a-20240102T0000Z.tar.gz.sha256'),
      d('a-20240103T0000Z.tar.gz.sha256'),
      f('a-handmade.tar.gz.sha256'),
      f('b-20240101T0000Z.tar.gz.sha256'),
    ]);
    const l = await listCopies(files(), J, 'UTC', fs);
    expect(l.partials).toEqual([
      {
        name: 'a-20240101T0000Z.tar.gz.sha256',
        path: '/b/a-20240101T0000Z.tar.gz.sha256',
        type: 'file',
        how: 'orphan',
      },
    ]);
    expect(l.copies.map((c) => c.name)).toEqual(['a-20240102T0000Z.tar.gz']);
    expect(l.ignored).toEqual([]);
  });

  it('glob metacharacters of other syntaxes are literal, and the glob is anchored at both ends', async () => {
    const names = ['a.(1)-20240101T0000Z.tar.gz', 'aX(1)-20240101T0000Z.tar.gz', 'xa.(1)-20240101T0000Z.tar.gz'];
    const { fs } = memFs(names.map(f));
    const l = await listCopies(files('a.(1)-*.tar.gz'), J, 'UTC', fs);
    expect(l.copies.map((c) => c.name)).toEqual(['a.(1)-20240101T0000Z.tar.gz']);
  });

  it('refuses inventories it cannot list, saying nothing was removed', async () => {
    const inv: Inventory = { type: 'openstack-volume-snapshots', host: 'local', match: '*' };
    const why =
      'listing openstack volume snapshots is not implemented yet: this prune is refused and nothing was removed';
    expect(inventoryUnsupported(inv)).toBe(why);
    expect(inventoryUnsupported(files())).toBeUndefined();
    expect(inventoryUnsupported({ type: 'directories', host: 'local', dir: '/r', match: '*' })).toBeUndefined();
    expect(inventoryUnsupported({ type: 'zfs-snapshots', host: 'local', dataset: 't/d', match: '*' })).toBeUndefined();
    await expect(listCopies(inv, J, 'UTC', memFs([]).fs)).rejects.toThrow(new PruneError(why));
    const zfs: Inventory = { type: 'zfs-snapshots', host: 'local', dataset: 't/d', match: 'backplan-*' };
    await expect(listCopies(zfs, J, 'UTC', memFs([]).fs)).rejects.toThrow(
      new PruneError('listing zfs snapshots needs the run\'s hosts'),
    );
  });
});

describe('namerOf', () => {
  it('a replica is named by the job it replicates; anything else by itself', () => {
    const src = job('src', { kind: 'zfs-snapshot' });
    const rep = job('rep', { kind: 'zfs-send', from: 'src' });
    const p = plan({ jobs: [src, rep] });
    const spec = { replicaOf: 'src' } as PruneSpec;
    expect(namerOf(rep, p, spec)).toBe(src);
    expect(namerOf(rep, p, {} as PruneSpec)).toBe(rep);
    expect(namerOf(rep, p)).toBe(rep);
    expect(namerOf(rep, p, { replicaOf: 'gone' } as PruneSpec)).toBe(rep);
  });
});

describe('pruneEngine and decide', () => {
  const spec = (fields: Record<string, unknown>, min: number): PruneSpec => ({
    engine: 'native',
    policy: policy(undefined, fields),
    timezone: 'UTC',
    min,
    inventory: files(),
  });
  const copies = (n: number): Copy[] =>
    Array.from({ length: n }, (_, i) => ({ name: `c${i}`, path: `/b/c${i}`, time: T2 - i * 86_400_000, type: 'file' }));

  it('refuses a policy its engine cannot express, with the engine words', () => {
    const p = plan({ jobs: [job('s', { kind: 'zfs-snapshot' })] });
    // a day and a half has no calendar bucket
    const bad = spec({ tiers: [{ every: '1d12h', until: '30d' }] }, 1);
    const unsupported = nativeEngine.unsupported(bad.policy);
    expect(unsupported.length).toBeGreaterThan(0);
    expect(() => pruneEngine(p.jobs.get('s')!, p, bad)).toThrow(
      new PruneError(
        `the native pruning engine cannot express this policy: ${unsupported.map((u) => u.message).join('; ')}`,
      ),
    );
  });

  it('a min that is not an integer counts as 1, and min 0 still keeps the newest', () => {
    const none = { keep: { within: '1h' } };
    for (const min of [0, 2.5, Number.NaN]) {
      const dd = decide(copies(3), spec(none, min), nativeEngine, T2 + 7_200_000);
      expect(dd.keep.map((k) => [k.copy.name, k.reasons])).toEqual([['c0', ['newest copy: never removed']]]);
      expect(dd.remove.map((c) => c.name)).toEqual(['c1', 'c2']);
    }
  });

  it('a copy the engine keeps that is also among the min newest keeps the engine reasons only', () => {
    const dd = decide(copies(3), spec({ keep: { last: 1 } }, 2), nativeEngine, T2 + 1);
    expect(dd.keep.map((k) => [k.copy.name, k.reasons])).toEqual([
      ['c0', ['last snapshot']],
      ['c1', ['one of the 2 newest copies (min: 2)']],
    ]);
  });

  it('refuses two copies with one name', () => {
    const two = [...copies(1), ...copies(1)];
    expect(() => decide(two, spec({ keep: { last: 5 } }, 1), nativeEngine, T2 + 1)).toThrow(
      new PruneError('two copies share a name'),
    );
  });
});

describe('removeCopies and removePartials', () => {
  const copy = (name: string, type: Copy['type'] = 'file'): Copy => ({ name, path: `/b/${name}`, time: T1, type });
  const journal = () => {
    const lines: string[] = [];
    return {
      lines,
      hooks: {
        before: (p: string, why: string) => lines.push(`before ${p}: ${why}`),
        after: (p: string, ok: boolean, m?: string) => lines.push(`after ${p}: ${ok}${m ? ` ${m}` : ''}`),
      },
    };
  };
  const listed = (over: Partial<Listed> = {}): Listed => ({
    copies: [],
    ignored: [],
    partials: [],
    companions: new Map([['x', '/b/x.sha256']]),
    ...over,
  });

  it('removes a copy with its manifest in one removal, copy first, and journals both', async () => {
    const { fs, calls } = memFs([]);
    const j = journal();
    const r = await removeCopies([copy('x'), copy('y', 'directory')], listed(), fs, j.hooks);
    expect(calls).toEqual(['removeAll file /b/x, file /b/x.sha256', 'removeAll directory /b/y']);
    expect(j.lines).toEqual([
      'before /b/x: not kept by the policy',
      'before /b/x.sha256: manifest of x',
      'after /b/x: true',
      'after /b/x.sha256: true',
      'before /b/y: not kept by the policy',
      'after /b/y: true',
    ]);
    expect(r).toEqual({ removed: ['x', 'y'], failed: [] });
  });

  it('a failed removal is journalled and reported, and the next copy is still removed', async () => {
    const { fs } = memFs([], new Set(['/b/x']));
    const j = journal();
    const r = await removeCopies([copy('x'), copy('y')], listed(), fs, j.hooks);
    expect(r).toEqual({ removed: ['y'], failed: ['/b/x: EACCES /b/x'] });
    expect(j.lines).toContain('after /b/x: false EACCES /b/x');
    expect(j.lines).toContain('after /b/x.sha256: false EACCES /b/x');
  });

  it('snapshots are removed through their store, by name; without a store they fail', async () => {
    const removed: string[] = [];
    const store = {
      list: async () => [],
      remove: async (n: string) => {
        if (n === 'bad') throw new Error('dataset is busy');
        removed.push(n);
      },
    };
    const j = journal();
    const snaps = [copy('s1', 'snapshot'), copy('bad', 'snapshot')];
    const r = await removeCopies(snaps, listed({ store: store as unknown as Listed['store'] }), memFs([]).fs, j.hooks);
    expect(removed).toEqual(['s1']);
    expect(r).toEqual({ removed: ['s1'], failed: ['/b/bad: dataset is busy'] });
    expect(j.lines).toEqual([
      'before /b/s1: not kept by the policy',
      'after /b/s1: true',
      'before /b/bad: not kept by the policy',
      'after /b/bad: false dataset is busy',
    ]);
    const none = await removeCopies([copy('s1', 'snapshot')], listed(), memFs([]).fs, journal().hooks);
    expect(none).toEqual({ removed: [], failed: ['/b/s1: no snapshot store to remove it through'] });
  });

  it('partials: each kind with its reason, `.deleting-` names purged as they are, kept paths skipped', async () => {
    const { fs, calls } = memFs([], new Set(['/b/fail.partial']));
    const j = journal();
    const l = listed({
      partials: [
        { name: 'p.partial', path: '/b/p.partial', type: 'file' },
        { name: '.deleting-q', path: '/b/.deleting-q', type: 'directory', how: 'deleting' },
        { name: 'o.sha256', path: '/b/o.sha256', type: 'file', how: 'orphan' },
        { name: 'k.partial', path: '/b/k.partial', type: 'file' },
        { name: 'fail.partial', path: '/b/fail.partial', type: 'file', how: 'partial' },
      ],
    });
    const out = await removePartials(l, fs, j.hooks, new Set(['/b/k.partial']));
    expect(out).toEqual(['p.partial', '.deleting-q', 'o.sha256']);
    expect(calls).toEqual([
      'remove file /b/p.partial',
      'purge directory /b/.deleting-q',
      'remove file /b/o.sha256',
      'remove file /b/fail.partial',
    ]);
    expect(j.lines).toEqual([
      'before /b/p.partial: left by an interrupted run',
      'after /b/p.partial: true',
      'before /b/.deleting-q: left by an interrupted removal',
      'after /b/.deleting-q: true',
      'before /b/o.sha256: manifest of an archive that is gone',
      'after /b/o.sha256: true',
      'before /b/fail.partial: left by an interrupted run',
      'after /b/fail.partial: false EACCES /b/fail.partial',
    ]);
    expect(await removePartials(listed({ partials: l.partials.slice(0, 1) }), memFs([]).fs, journal().hooks)).toEqual([
      'p.partial',
    ]);
  });
});

describe('listCopies and decide, more corners', () => {
  it("names whose order is not their time's (a day-first pattern) are still listed newest first", async () => {
    const dayFirst = job('p', { kind: 'archive', pattern: 'p-%d%m%Y' });
    const { fs } = memFs([f('p-02012024'), f('p-01022024')]);
    const l = await listCopies(files('p-*'), dayFirst, 'UTC', fs);
    expect(l.copies.map((c) => [c.name, c.time])).toEqual([
      ['p-01022024', Date.UTC(2024, 1, 1)],
      ['p-02012024', Date.UTC(2024, 0, 2)],
    ]);
  });

  it('a pattern is read in the job zone; default names are UTC whatever the zone', async () => {
    const local = job('p', { kind: 'archive', pattern: 'p-%Y%m%d-%H%M' });
    const l = await listCopies(files('p-*-*'), local, 'Europe/Paris', memFs([f('p-20240105-0300')]).fs);
    expect(l.copies.map((c) => c.time)).toEqual([Date.UTC(2024, 0, 5, 2)]);
    const utc = await listCopies(files(), J, 'Europe/Paris', memFs([f('a-20240105T0300Z.tar.gz')]).fs);
    expect(utc.copies.map((c) => c.time)).toEqual([Date.UTC(2024, 0, 5, 3)]);
  });

  it('a name with a newline still matches the glob, so it is seen (and ignored), not skipped', async () => {
    const l = await listCopies(files(), J, 'UTC', memFs([f('a-x\ny.tar.gz')]).fs);
    expect(l.ignored).toEqual([{ name: 'a-x\ny.tar.gz', why: 'its name holds no time this job could have written' }]);
  });

  it('copies whose own names end in .sha256 are copies, not manifests', async () => {
    const l = await listCopies(files('sum-*.sha256'), J, 'UTC', memFs([f('sum-20240101T0000Z.sha256')]).fs);
    expect(l.copies.map((c) => c.name)).toEqual(['sum-20240101T0000Z.sha256']);
    expect(l.partials).toEqual([]);
  });

  it('decides at the given time: copies within the window from `now` are kept', () => {
    const s: PruneSpec = {
      engine: 'native',
      policy: policy(undefined, { keep: { within: '2d' } }),
      timezone: 'UTC',
      min: 1,
      inventory: files(),
    };
    const cs: Copy[] = [0, 1, 3].map((age) => ({
      name: `c${age}`,
      path: `/b/c${age}`,
      time: T2 - age * 86_400_000,
      type: 'file',
    }));
    const dd = decide(cs, s, nativeEngine, T2 + 3_600_000);
    expect(dd.keep.map((k) => k.copy.name)).toEqual(['c0', 'c1']);
    expect(dd.remove.map((c) => c.name)).toEqual(['c3']);
  });

  it('lists every reason a policy cannot be expressed, separated by `; `', () => {
    const p = plan({ jobs: [job('s', { kind: 'zfs-snapshot' })] });
    const bad: PruneSpec = {
      engine: 'native',
      policy: policy(undefined, { tiers: [{ every: '1d12h', until: '30d' }, { every: '2d12h', until: '60d' }] }),
      timezone: 'UTC',
      min: 1,
      inventory: files(),
    };
    expect(() => pruneEngine(p.jobs.get('s')!, p, bad)).toThrow(/cannot express this policy: [^;]+; [^;]+$/);
  });
});
