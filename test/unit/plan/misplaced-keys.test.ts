// Keys written in the wrong place (issue #9, item 4): `expiry: 7d` beside `schedule`, `daily: 7`
// or borgmatic's `keep_daily` in a job, Incus' `snapshots.*` keys. The schema rule says where
// they belong and offers to move them there.
import { describe, expect, it } from 'vitest';
import { checkText } from '../../../engine/check';
import { rule } from '../../../engine/checks/schema';
import type { Finding } from '../../../engine/findings';
import { fromIncusDuration } from '../../../engine/plan/misplaced';
import { parsePlan } from '../../../engine/plan/parse';

const run = (text: string) => checkText(text, { rules: [rule] }).findings;
const slice = (text: string, r: { start: number; end: number }) => text.slice(r.start, r.end);
const apply = (text: string, f: Finding) =>
  [...f.fixes![0].edits].sort((a, b) => b.range.start - a.range.start).reduce((t, e) => t.slice(0, e.range.start) + e.newText + t.slice(e.range.end), text);

/** The one finding on `key`. */
function on(text: string, key: string): Finding {
  const found = run(text).filter((f) => slice(text, f.range) === key);
  expect(found, `one finding on ${key}`).toHaveLength(1);
  return found[0];
}

/** Apply the move, check the result parses and has no schema finding left, return the job. */
function moved(text: string, key: string, job: string) {
  const f = on(text, key);
  expect(f.fixes).toHaveLength(1);
  expect(f.fixes![0].preferred).toBe(true);
  const out = apply(text, f);
  const p = parsePlan(out);
  expect(p.findings).toEqual([]);
  expect(run(out)).toEqual([]);
  return { out, title: f.fixes![0].title, job: (p.value as { jobs: Record<string, unknown> }).jobs[job] };
}

const HEAD = `version: 1
storage:
  s: { path: /backup }
policies:
  minet: { expiry: 30d }
jobs:
`;

describe('misplaced keys of a job', () => {
  it('`expiry` beside `schedule` belongs under `retention`: created in place, its comment kept', () => {
    const text = `${HEAD}  snaps:
    kind: incus-snapshot
    instance: web
    schedule: "0 */6 * * *"
    expiry: 7d    # one week, as in Incus
    description: web server
`;
    expect(on(text, 'expiry').message).toBe('unknown key `expiry` in job `snaps` (kind `incus-snapshot`): did you mean `retention.expiry`?');
    const { out, title, job } = moved(text, 'expiry', 'snaps');
    expect(title).toBe('Move to `retention.expiry`');
    expect(job).toEqual({ kind: 'incus-snapshot', instance: 'web', schedule: '0 */6 * * *', retention: { expiry: '7d' }, description: 'web server' });
    expect(out).toContain('    retention:\n      expiry: 7d    # one week, as in Incus\n    description: web server\n');
  });

  it('`keep`, `min` and `tiers` move too, block values re-indented', () => {
    const text = `${HEAD}  files:
    kind: restic
    paths: [/srv]
    to: s
    schedule: "@daily"
    tiers:
      - { keep: all, until: 15d }   # two weeks of everything
      - { every: 1d }
    min: 3
`;
    expect(on(text, 'tiers').message).toBe('unknown key `tiers` in job `files` (kind `restic`): did you mean `retention.tiers`?');
    const first = moved(text.replace('    min: 3\n', ''), 'tiers', 'files');
    expect(first.job).toMatchObject({ retention: { tiers: [{ keep: 'all', until: '15d' }, { every: '1d' }] } });
    expect(first.out).toContain('    retention:\n      tiers:\n        - { keep: all, until: 15d }   # two weeks of everything\n        - { every: 1d }\n');
    const keep = `${HEAD}  files:\n    kind: restic\n    paths: [/srv]\n    to: s\n    keep: { daily: 7 }\n`;
    expect(moved(keep, 'keep', 'files').job).toMatchObject({ retention: { keep: { daily: 7 } } });
  });

  it('a keep count beside `schedule` merges into the existing `retention.keep`', () => {
    const text = `${HEAD}  files:
    kind: restic
    paths: [/srv]
    to: s
    schedule: "@daily"
    retention:
      # the usual GFS
      keep:
        daily: 7     # a week
    weekly: 4      # a month
    rpo: 1d
`;
    expect(on(text, 'weekly').message).toBe('unknown key `weekly` in job `files` (kind `restic`): did you mean `retention.keep.weekly`?');
    const { out, title, job } = moved(text, 'weekly', 'files');
    expect(title).toBe('Move to `retention.keep.weekly`');
    expect(job).toMatchObject({ retention: { keep: { daily: 7, weekly: 4 } }, rpo: '1d' });
    expect(out).toBe(`${HEAD}  files:
    kind: restic
    paths: [/srv]
    to: s
    schedule: "@daily"
    retention:
      # the usual GFS
      keep:
        daily: 7     # a week
        weekly: 4      # a month
    rpo: 1d
`);
  });

  it('borgmatic `keep_*` keys go to `retention.keep`, in a flow mapping too', () => {
    const text = `${HEAD}  home: { kind: borg, paths: [/home], to: s, keep_daily: 7, keep_within: 2d, schedule: "@daily" }
`;
    expect(on(text, 'keep_daily').message).toBe(
      "unknown key `keep_daily` in job `home` (kind `borg`): did you mean `retention.keep.daily`? (`keep_daily` is borgmatic's spelling)",
    );
    const f = on(text, 'keep_daily');
    const once = apply(text, f);
    expect(once).toContain('{ kind: borg, paths: [/home], to: s, retention: { keep: { daily: 7 } }, keep_within: 2d, schedule: "@daily" }');
    const { job } = moved(once, 'keep_within', 'home');
    expect(job).toEqual({ kind: 'borg', paths: ['/home'], to: 's', retention: { keep: { daily: 7, within: '2d' } }, schedule: '@daily' });
    // borg's --keep-secondly is its --keep-last
    expect(on(`${HEAD}  h: { kind: borg, paths: [/h], to: s, keep_secondly: 3 }\n`, 'keep_secondly').message).toContain('did you mean `retention.keep.last`?');
    // no Backplan bucket for minutes: an ordinary unknown key
    expect(on(`${HEAD}  h: { kind: borg, paths: [/h], to: s, keep_minutely: 3 }\n`, 'keep_minutely').message).toBe('unknown key `keep_minutely` in job `h` (kind `borg`)');
  });

  it('a count written directly in a policy body goes to its `keep`', () => {
    const text = `version: 1\npolicies:\n  gfs:\n    daily: 7\n    weekly: 4\njobs: {}\n`;
    expect(on(text, 'daily').message).toBe('unknown key `daily` in policy `gfs`: did you mean `keep.daily`?');
    const out = apply(text, on(text, 'daily'));
    expect(parsePlan(out).value).toEqual({ version: 1, policies: { gfs: { keep: { daily: 7 }, weekly: 4 } }, jobs: {} });
    const inline = `${HEAD}  f: { kind: restic, paths: [/f], to: s, retention: { keep_daily: 7, min: 2 } }\n`;
    const { job } = moved(inline, 'keep_daily', 'f');
    expect(job).toMatchObject({ retention: { keep: { daily: 7 }, min: 2 } });
  });

  it('when `retention` names a policy, says the key cannot be merged and offers no fix', () => {
    const text = `${HEAD}  snaps:
    kind: incus-snapshot
    instance: web
    retention: minet
    expiry: 7d
`;
    const f = on(text, 'expiry');
    expect(f.message).toBe(
      'unknown key `expiry` in job `snaps` (kind `incus-snapshot`): did you mean `retention.expiry`? But `retention` names the policy `minet` here, so it cannot be merged: put it in policy `minet` under `policies`, or write the job\'s retention inline.',
    );
    expect(f.fixes).toBeUndefined();
  });

  it('when the target is already set, says so and offers no fix', () => {
    const text = `${HEAD}  snaps:\n    kind: incus-snapshot\n    instance: web\n    retention: { expiry: 2d }\n    expiry: 7d\n`;
    const f = on(text, 'expiry');
    expect(f.message).toContain('did you mean `retention.expiry`? But `retention.expiry` is already set: keep one of the two.');
    expect(f.fixes).toBeUndefined();
  });

  it('a key inherited through a merge key gets the hint but no edit of the anchor', () => {
    const text = `version: 1\nx-base: &base { kind: incus-snapshot, expiry: 7d }\njobs:\n  a: { <<: *base, instance: web }\n`;
    const f = run(text).find((x) => /retention\.expiry/.test(x.message))!;
    expect(f).toBeDefined();
    expect(f.fixes).toBeUndefined();
  });
});

describe("Incus' snapshots.* keys", () => {
  it('dotted `snapshots.expiry` → `retention.expiry`, the Incus duration translated', () => {
    const text = `${HEAD}  snaps:\n    kind: incus-snapshot\n    instance: web\n    snapshots.expiry: 1w 12H\n    retention: { min: 2 }\n`;
    expect(on(text, 'snapshots.expiry').message).toBe(
      'unknown key `snapshots.expiry` in job `snaps` (kind `incus-snapshot`): did you mean `retention.expiry`? (`snapshots.expiry` is an Incus instance key)',
    );
    const { out, job } = moved(text, 'snapshots.expiry', 'snaps');
    expect(job).toEqual({ kind: 'incus-snapshot', instance: 'web', retention: { min: 2, expiry: '1w12h' } });
    expect(out).toContain('    retention: { min: 2, expiry: 1w12h }\n');
    expect(fromIncusDuration('1M 2H 3d 4w 5m 6y')).toBe('1min2h3d4w5mo6y');
    expect(fromIncusDuration('7d')).toBeUndefined(); // the same in both syntaxes: left as written
    expect(moved(text.replace('1w 12H', '7d'), 'snapshots.expiry', 'snaps').job).toMatchObject({ retention: { expiry: '7d' } });
  });

  it('dotted `snapshots.schedule` and `snapshots.pattern` → `schedule` and `pattern`', () => {
    const text = `${HEAD}  snaps:\n    kind: incus-snapshot\n    instance: web\n    snapshots.schedule: "@daily"\n    snapshots.pattern: "snap-%d"\n`;
    expect(on(text, 'snapshots.schedule').message).toContain('did you mean `schedule`?');
    const once = apply(text, on(text, 'snapshots.schedule'));
    const { job } = moved(once, 'snapshots.pattern', 'snaps');
    expect(job).toEqual({ kind: 'incus-snapshot', instance: 'web', schedule: '@daily', pattern: 'snap-%d' });
  });

  it('a nested `snapshots:` mapping is split into its places', () => {
    const text = `${HEAD}  snaps:
    kind: incus-snapshot
    instance: web
    snapshots:
      schedule: "0 */6 * * *"   # every 6 hours
      expiry: 3d
      pattern: "auto-%d"
    description: web
`;
    expect(on(text, 'snapshots').message).toBe(
      'unknown key `snapshots` in job `snaps` (kind `incus-snapshot`): did you mean `schedule`, `retention.expiry` and `pattern`? (`snapshots.*` are Incus instance keys)',
    );
    const { out, title, job } = moved(text, 'snapshots', 'snaps');
    expect(title).toBe('Move to `schedule`, `retention.expiry`, `pattern`');
    expect(job).toEqual({ kind: 'incus-snapshot', instance: 'web', schedule: '0 */6 * * *', retention: { expiry: '3d' }, pattern: 'auto-%d', description: 'web' });
    expect(out).toContain('    schedule: "0 */6 * * *"   # every 6 hours\n');
  });

  it('no fix when a part has no place, or the job already has the target', () => {
    const extra = `${HEAD}  snaps:\n    kind: incus-snapshot\n    instance: web\n    snapshots: { expiry: 3d, schedule.stopped: true }\n`;
    const f = on(extra, 'snapshots');
    expect(f.message).toContain('did you mean `retention.expiry`?');
    expect(f.message).toContain('`snapshots.schedule.stopped` has no place in this job');
    expect(f.fixes).toBeUndefined();
    const twice = `${HEAD}  snaps:\n    kind: incus-snapshot\n    instance: web\n    schedule: "@daily"\n    snapshots.schedule: "@hourly"\n`;
    const g = on(twice, 'snapshots.schedule');
    expect(g.message).toContain('`schedule` is already set');
    expect(g.fixes).toBeUndefined();
  });
});
