import { describe, expect, it } from 'vitest';
import { checkText } from '../../../engine/check';
import { rule } from '../../../engine/checks/db-without-dump';

const run = (text: string) => checkText(text, { rules: [rule] });
const slice = (text: string, r: { start: number; end: number }) => text.slice(r.start, r.end);

const HEAD = `version: 1
hosts: { db1: {}, web: {} }
storage: { nas: { host: web } }
`;

describe('db-without-dump', () => {
  it('fires on the path item that is a live database directory', () => {
    const text = `${HEAD}jobs:
  files:
    kind: restic
    host: db1
    paths:
      - /etc
      - /var/lib/postgresql/
    to: nas
`;
    const f = run(text).findings;
    expect(f).toHaveLength(1);
    expect(slice(text, f[0].range)).toBe('/var/lib/postgresql/');
    expect(f[0].severity).toBe('warning');
    expect(f[0].message).toBe(
      '`/var/lib/postgresql/` is the data directory of a live PostgreSQL server: files copied while it runs are not a consistent database. ' +
        "Add a `pg-dump` job on `db1` and list it in this job's `after:`, or exclude the directory (`exclude: [/var/lib/postgresql]`)",
    );
  });

  it('fires inside a database directory and for a single-string paths', () => {
    const text = `${HEAD}jobs:\n  f: { kind: rsync, host: db1, paths: /var/lib/mysql/app, to: nas }\n`;
    const [f] = run(text).findings;
    expect(slice(text, f.range)).toBe('/var/lib/mysql/app');
    expect(f.message).toContain('Add a `mysql-dump` job on `db1`');
  });

  it('names the existing dump job when it is not ordered first, also for a parent directory', () => {
    const text = `${HEAD}jobs:
  dump: { kind: pg-dump, host: db1, database: app, to: nas }
  files: { kind: borg, host: db1, paths: [/var/lib, /home], to: nas }
`;
    const [f, ...rest] = run(text).findings;
    expect(rest).toEqual([]);
    expect(slice(text, f.range)).toBe('/var/lib');
    expect(f.message).toBe(
      '`/var/lib` includes `/var/lib/postgresql`, the data directory of the PostgreSQL server on `db1`: files copied while it runs are not a consistent database. ' +
        '`dump` dumps it but does not run first: add `after: [dump]` to `files`, or exclude the directory (`exclude: [/var/lib/postgresql]`)',
    );
  });

  it('suggests mongodump for MongoDB (no dump kind exists)', () => {
    const text = `${HEAD}jobs:\n  f: { kind: archive, host: db1, paths: [/var/lib/mongodb], to: nas }\n`;
    expect(run(text).findings[0].message).toContain('Dump it with mongodump before this job runs');
  });

  it('is quiet with a dump ordered first (directly or transitively), an exclusion, or a parent path without a known database', () => {
    const ordered = `${HEAD}jobs:
  dump: { kind: pg-dump, host: db1, database: app, to: nas }
  mid: { kind: restic, host: db1, paths: [/etc], to: nas, after: [dump] }
  files: { kind: restic, host: db1, paths: [/var/lib/postgresql, /var/lib], to: nas, after: mid }
`;
    expect(run(ordered).findings).toEqual([]);
    const excluded = `${HEAD}jobs:\n  f: { kind: restic, host: db1, paths: [/], exclude: [/var/lib/postgresql/**, /var/lib/mysql], to: nas }\n  d: { kind: mysql-dump, host: db1, to: nas }\n  p: { kind: pg-dump, host: db1, to: nas }\n`;
    expect(run(excluded).findings).toEqual([]);
    const root = `${HEAD}jobs:\n  f: { kind: restic, host: web, paths: [/], to: nas }\n  d: { kind: pg-dump, host: db1, to: nas }\n`;
    expect(run(root).findings).toEqual([]);
    const notFiles = `${HEAD}jobs:\n  s: { kind: zfs-snapshot, host: db1, dataset: tank/var/lib/postgresql }\n`;
    expect(run(notFiles).findings).toEqual([]);
    const lookalike = `${HEAD}jobs:\n  f: { kind: restic, host: db1, paths: [/var/lib/postgresql-backups], to: nas }\n`;
    expect(run(lookalike).findings).toEqual([]);
  });

  it('does not count a dump job on another host', () => {
    const text = `${HEAD}jobs:\n  d: { kind: pg-dump, host: web, to: nas }\n  f: { kind: restic, host: db1, paths: [/var/lib/pgsql], to: nas, after: [d] }\n`;
    expect(run(text).findings.map((f) => slice(text, f.range))).toEqual(['/var/lib/pgsql']);
  });
});
