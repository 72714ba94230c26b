// Pure pieces of the runner: copy names → times, the manifest format, exclude patterns, the
// prune decision (min and the newest copy), the state directory's precedence.
import { describe, expect, it } from 'vitest';
import { nameTimeParser } from '../../../engine/run/steps/names';
import { formatManifest, parseManifest, ManifestError } from '../../../engine/run/builtin/manifest';
import { excludeMatcher } from '../../../engine/run/builtin/exclude';
import { decide, pruneEngine, type Copy } from '../../../engine/run/prune/copies';
import { nativeEngine } from '../../../engine/retention/native';
import { resolveStateDir } from '../../../engine/run/state/dir';
import { Redactor } from '../../../engine/run/exec/redact';
import type { PruneSpec } from '../../../engine/run/steps/step';
import { job, plan, policy } from './helpers';

describe('nameTimeParser', () => {
  it('reads the default `<prefix>YYYYMMDDTHHMMZ<ext>` names in UTC and nothing else', () => {
    const p = nameTimeParser('docs-archive-*.tar.gz', undefined, 'Europe/Paris');
    expect(p('docs-archive-20240305T0607Z.tar.gz')).toBe(Date.UTC(2024, 2, 5, 6, 7));
    expect(p('docs-archive-20240305T0607Z.tar.gz.partial')).toBeUndefined();
    expect(p('docs-archive-20240230T0607Z.tar.gz')).toBeUndefined();
    expect(p('docs-archive-handmade.tar.gz')).toBeUndefined();
    expect(p('docs-archive-20240305T2607Z.tar.gz')).toBeUndefined();
  });

  it('reads rsync-style names whose `Z` is outside the glob', () => {
    expect(nameTimeParser('*Z', undefined, 'UTC')('20240305T0607Z')).toBe(Date.UTC(2024, 2, 5, 6, 7));
  });

  it('inverts a `pattern` in the job zone, with the extension after it', () => {
    const p = nameTimeParser('db-*-*.dump.gpg', 'db-%Y%m%d-%H%M', 'Europe/Paris');
    expect(p('db-20240705-0300.dump.gpg')).toBe(Date.UTC(2024, 6, 5, 1, 0));
    expect(p('db-20240705-0300.dump')).toBeUndefined();
    // 02:30 does not exist in Paris on 2024-03-31 (spring forward).
    expect(p('db-20240331-0230.dump.gpg')).toBeUndefined();
    expect(nameTimeParser('s-*-*', 's-%Y-%j', 'UTC')('s-2024-061')).toBe(Date.UTC(2024, 2, 1));
  });
});

describe('manifest', () => {
  it('round-trips, escaping names with newlines and backslashes as sha256sum does', () => {
    const m = {
      archive: { path: 'a-20240101T0000Z.tar.gz', sha256: 'a'.repeat(64), bytes: 123 },
      members: [
        { path: 'etc/hosts', sha256: 'b'.repeat(64) },
        { path: 'odd/new\nline', sha256: 'c'.repeat(64) },
        { path: 'odd/back\\slash', sha256: 'd'.repeat(64) },
        { path: 'odd/$(touch x) `y`', sha256: 'e'.repeat(64) },
      ],
    };
    const text = formatManifest(m);
    expect(text.split('\n')[2]).toBe(`${'a'.repeat(64)}  a-20240101T0000Z.tar.gz`);
    expect(text).toContain(`\\${'c'.repeat(64)}  odd/new\\nline\n`);
    expect(text).toContain(`\\${'d'.repeat(64)}  odd/back\\\\slash\n`);
    expect(parseManifest(text)).toEqual(m);
  });

  it('refuses what is not a manifest', () => {
    expect(() => parseManifest('hello\n')).toThrow(ManifestError);
    expect(() => parseManifest('# backplan archive manifest v1\nnot a line\n')).toThrow(/line 2/);
  });
});

describe('exclude patterns', () => {
  it('match names, anchored paths and trailing components', () => {
    const m = excludeMatcher(['*.log', 'node_modules', '/srv/www/cache', 'tmp/*.swp', '**/secret?']);
    expect(m('/var/app/x.log')).toBe(true);
    expect(m('/var/app/node_modules')).toBe(true);
    expect(m('/var/app/x.logs')).toBe(false);
    expect(m('/srv/www/cache')).toBe(true);
    expect(m('/other/srv/www/cache')).toBe(false);
    expect(m('/home/a/tmp/f.swp')).toBe(true);
    expect(m('/home/a/tmp/sub/f.swp')).toBe(false);
    expect(m('/x/y/secret1')).toBe(true);
    // Metacharacters are literal.
    expect(excludeMatcher(['$(x)'])('/a/$(x)')).toBe(true);
    expect(excludeMatcher(['a.b'])('/axb')).toBe(false);
  });
});

describe('prune decision', () => {
  const day = 86_400_000;
  const now = Date.UTC(2024, 5, 10, 12);
  const copies = (ages: number[]): Copy[] =>
    ages.map((a, i) => ({ name: `c${i}`, path: `/b/c${i}`, time: now - a * day, type: 'file' as const }));
  const spec = (fields: Record<string, unknown>, min = 1): PruneSpec => ({
    engine: 'native',
    policy: policy(undefined, fields),
    timezone: 'UTC',
    min,
    inventory: { type: 'files', host: 'local', dir: '/b', match: 'c*' },
  });

  it('applies the engine, then never removes the newest copy (min 1)', () => {
    const d = decide(copies([3, 4, 5]), spec({ keep: { within: '1d' } }), nativeEngine, now);
    expect(d.keep.map((k) => [k.copy.name, k.reasons])).toEqual([['c0', ['newest copy: never removed']]]);
    expect(d.remove.map((c) => c.name)).toEqual(['c1', 'c2']);
  });

  it('keeps the `min` newest whatever the policy', () => {
    const d = decide(copies([3, 4, 5, 6]), spec({ keep: { within: '1d' } }, 3), nativeEngine, now);
    expect(d.keep.map((k) => k.copy.name)).toEqual(['c0', 'c1', 'c2']);
    expect(d.keep[1].reasons).toEqual(['one of the 3 newest copies (min: 3)']);
    expect(d.remove.map((c) => c.name)).toEqual(['c3']);
  });

  it('keeps the engine reasons where the engine keeps', () => {
    const d = decide(copies([0.1, 1, 2, 3]), spec({ keep: { last: 2 } }), nativeEngine, now);
    expect(d.keep.map((k) => [k.copy.name, k.reasons])).toEqual([
      ['c0', ['last snapshot']],
      ['c1', ['last snapshot']],
    ]);
  });

  it('refuses an engine mismatch (the replication base is protected from live inventory, ' +
    'prune/replication-base.ts)', () => {
    const p = plan({ jobs: [job('snaps', { kind: 'zfs-snapshot' })] });
    const j = p.jobs.get('snaps')!;
    expect(() => pruneEngine(j, p, { ...spec({ keep: { last: 1 } }), engine: 'restic' })).toThrow(
      /pruned by native, but the step says restic; refusing/,
    );
    expect(pruneEngine(j, p, spec({ keep: { last: 1 } })).id).toBe('native');
  });

  it('with nothing listed decides nothing', () => {
    expect(decide([], spec({ keep: { last: 1 } }), nativeEngine, now)).toEqual({ keep: [], remove: [] });
  });
});

describe('state directory', () => {
  it('--state-dir, then $BACKPLAN_STATE_DIR, then $XDG_STATE_HOME/backplan, then ~/.local/state/backplan', () => {
    expect(resolveStateDir('/x/s', { BACKPLAN_STATE_DIR: '/e', XDG_STATE_HOME: '/xdg' })).toBe('/x/s');
    expect(resolveStateDir(undefined, { BACKPLAN_STATE_DIR: '/e', XDG_STATE_HOME: '/xdg' })).toBe('/e');
    expect(resolveStateDir(undefined, { XDG_STATE_HOME: '/xdg' })).toBe('/xdg/backplan');
    expect(resolveStateDir(undefined, {})).toMatch(/\/\.local\/state\/backplan$/);
  });
});

describe('Redactor', () => {
  it('replaces every secret value in text and in JSON-like values, longest first', () => {
    const r = new Redactor();
    r.add('hunter2');
    r.add('hunter2-long');
    r.add('');
    expect(r.text('pw=hunter2-long and hunter2')).toBe('pw=*** and ***');
    expect(r.value({ a: ['x hunter2'], b: 3, hunter2: 'k' })).toEqual({ a: ['x ***'], b: 3, '***': 'k' });
  });
});
