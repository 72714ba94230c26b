import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkText } from '../../../engine/check';
import { rule } from '../../../engine/checks/job-not-runnable';
import type { Finding } from '../../../engine/findings';
import { DRIVERS } from '../../../engine/run/drivers/index';
import { planSteps } from '../../../engine/run/steps/plan-steps';
import { LineIndex } from '../../../engine/text/positions';

const NOW = Date.parse('2026-01-15T00:00:00Z');
const run = (text: string) => checkText(text, { rules: [rule], now: NOW });
const all = (text: string) => checkText(text, { now: NOW });
const ours = (findings: Finding[]) => findings.filter((f) => f.rule === 'job-not-runnable');

/** The finding as an editor shows it: rule, severity, 0-based line/character range, message. */
function shown(text: string, f: Finding) {
  const lines = new LineIndex(text);
  return {
    rule: f.rule,
    severity: f.severity,
    start: lines.position(f.range.start),
    end: lines.position(f.range.end),
    text: text.slice(f.range.start, f.range.end),
    message: f.message,
  };
}

// Lines 0-6; jobs start on line 7.
const HEAD = `version: 1
hosts:
  web: { address: 10.0.0.2, site: a, role: primary }
  nas: { address: 10.0.0.3, site: b, role: storage }
storage:
  nas-repo: { host: nas, media: hdd, path: /srv/backup }
jobs:
`;

describe('job-not-runnable', () => {
  it("restic without a password: on the `to` value, in the driver's words", () => {
    const text = `${HEAD}  files:
    kind: restic
    host: web
    paths: [/etc]
    to: nas-repo
`;
    const [f, ...rest] = run(text).findings;
    expect(rest).toEqual([]);
    expect(shown(text, f)).toEqual({
      rule: 'job-not-runnable',
      severity: 'error',
      start: { line: 11, character: 8 },
      end: { line: 11, character: 16 },
      text: 'nas-repo',
      message: 'restic needs the repository password: set `password_env` or `password_file` on the job or its storage',
    });
    // The same job with a password reference plans fine.
    expect(
      run(text.replace('    to: nas-repo\n', '    to: nas-repo\n    password_env: RESTIC_PASSWORD\n')).findings,
    ).toEqual([]);
  });

  it('archive on a remote host: on the `host` value', () => {
    const text = `${HEAD}  arc:
    kind: archive
    host: web
    paths: [/etc]
    to: nas-repo
`;
    const [f, ...rest] = run(text).findings;
    expect(rest).toEqual([]);
    expect(shown(text, f)).toMatchObject({
      rule: 'job-not-runnable',
      severity: 'error',
      start: { line: 9, character: 10 },
      end: { line: 9, character: 13 },
      text: 'web',
    });
    expect(f.message).toContain('archive is built in and reads paths on this machine only; host `web` is remote');
  });

  it('rsync with `encrypt`: on the `encrypt` key', () => {
    const text = `${HEAD}  mirror:
    kind: rsync
    host: web
    paths: [/srv]
    to: nas-repo
    encrypt: { gpg: { recipient: ops@example.org } }
`;
    const [f, ...rest] = run(text).findings;
    expect(rest).toEqual([]);
    expect(shown(text, f)).toMatchObject({
      rule: 'job-not-runnable',
      severity: 'error',
      start: { line: 12, character: 4 },
      end: { line: 12, character: 11 },
      text: 'encrypt',
    });
    expect(f.message).toContain('rsync copies plain files: `encrypt` is not supported');
  });

  it('rsync from a remote host to a storage on this machine: on the `to` value', () => {
    const text = `version: 1
hosts:
  web: { address: 10.0.0.2 }
  me: {}
storage:
  here: { host: me, path: /var/backups }
jobs:
  mirror: { kind: rsync, host: web, paths: [/srv], to: here }
`;
    const [f, ...rest] = run(text).findings;
    expect(rest).toEqual([]);
    expect(shown(text, f)).toMatchObject({
      start: { line: 7, character: 55 },
      end: { line: 7, character: 59 },
      text: 'here',
    });
    expect(f.message).toContain("rsync runs on the job's host and cannot push back here");
  });

  it("vzdump: a bad `mode` is the schema's (no duplicate); `encrypt` is ours, on its key", () => {
    const badMode = `${HEAD}  vms:
    kind: vzdump
    host: web
    vmid: 101
    to: nas-repo
    mode: paused
`;
    const r = all(badMode);
    expect(ours(r.findings)).toEqual([]);
    const schema = r.findings.find((f) => f.rule === 'schema')!;
    expect(shown(badMode, schema)).toMatchObject({
      start: { line: 12, character: 10 },
      end: { line: 12, character: 16 },
      text: 'paused',
    });
    // Without the schema's finding (turned off) the driver's own words show, on the same value.
    const unchecked = `${badMode}checks: { schema: off }\n`;
    const [m] = ours(all(unchecked).findings);
    expect(shown(unchecked, m)).toMatchObject({
      rule: 'job-not-runnable',
      severity: 'error',
      start: { line: 12, character: 10 },
      end: { line: 12, character: 16 },
      message: '`mode` must be snapshot, suspend or stop',
    });

    const encrypted = badMode.replace('    mode: paused\n', '    encrypt: { gpg: { recipient: ops@example.org } }\n');
    const [f, ...rest] = run(encrypted).findings;
    expect(rest).toEqual([]);
    expect(shown(encrypted, f)).toMatchObject({
      rule: 'job-not-runnable',
      severity: 'error',
      start: { line: 12, character: 4 },
      end: { line: 12, character: 11 },
      text: 'encrypt',
    });
    expect(f.message).toContain('`encrypt` is not supported for vzdump');
  });

  it("openstack-image: a bad `flavor` is the schema's (no duplicate); `encrypt` is ours, on its key", () => {
    const badFlavor = `${HEAD}  image:
    kind: openstack-image
    host: web
    server: db-1
    flavor: ephemeral
`;
    const r = all(badFlavor);
    expect(ours(r.findings)).toEqual([]);
    expect(
      shown(
        badFlavor,
        r.findings.find((f) => f.rule === 'schema')!,
      ),
    ).toMatchObject({ start: { line: 11, character: 12 }, end: { line: 11, character: 21 } });
    const unchecked = `${badFlavor}checks: { schema: off }\n`;
    const [m] = ours(all(unchecked).findings);
    expect(shown(unchecked, m)).toMatchObject({
      start: { line: 11, character: 12 },
      end: { line: 11, character: 21 },
      message: '`flavor` must be `persistent` or `compute`',
    });

    const encrypted = badFlavor.replace(
      '    flavor: ephemeral\n',
      '    encrypt: { gpg: { recipient: ops@example.org } }\n',
    );
    const [f, ...rest] = run(encrypted).findings;
    expect(rest).toEqual([]);
    expect(shown(encrypted, f)).toMatchObject({
      rule: 'job-not-runnable',
      severity: 'error',
      start: { line: 11, character: 4 },
      end: { line: 11, character: 11 },
      text: 'encrypt',
    });
    expect(f.message).toContain('`encrypt` is not supported for openstack-image');
  });

  it("an invalid `incus_binary`: once on the host's value, naming every job that cannot run", () => {
    const text = `version: 1
hosts:
  lab: { address: 10.0.0.5, incus_binary: "my incus" }
jobs:
  web-snaps: { kind: incus-snapshot, host: lab, instance: web }
  db-snaps: { kind: incus-snapshot, host: lab, instance: db }
`;
    const [f, ...rest] = run(text).findings;
    expect(rest).toEqual([]);
    expect(shown(text, f)).toEqual({
      rule: 'job-not-runnable',
      severity: 'error',
      start: { line: 2, character: 42 },
      end: { line: 2, character: 52 },
      text: '"my incus"',
      message: 'host lab: incus_binary must be `incus`, `lxc` or a full path',
    });
    expect(f.related!.map((r) => [r.message, text.slice(r.range.start, r.range.end)])).toEqual([
      ['job `web-snaps` cannot run', 'web-snaps'],
      ['job `db-snaps` cannot run', 'db-snaps'],
    ]);
  });

  it('names the driver refuses: a ZFS dataset, an Incus instance, a borg url with `::`', () => {
    const text = `version: 1
hosts:
  lab: { address: 10.0.0.5 }
storage:
  borg-repo: { host: lab, url: "ssh://lab/srv/borg::x" }
jobs:
  tank: { kind: zfs-snapshot, host: lab, dataset: "tank/my data" }
  web: { kind: incus-snapshot, host: lab, instance: web_1 }
  files: { kind: borg, host: lab, paths: [/etc], to: borg-repo }
`;
    expect(
      run(text)
        .findings.map((f) => shown(text, f))
        .map(({ start, text: at, message }) => ({ start, at, message })),
    ).toEqual([
      {
        start: { line: 4, character: 31 },
        at: '"ssh://lab/srv/borg::x"',
        message: "storage `borg-repo`: a borg repository url cannot contain '::' (that separates the archive name)",
      },
      {
        start: { line: 6, character: 50 },
        at: '"tank/my data"',
        message: '`dataset` `tank/my data` is not a ZFS dataset name (pool/fs/child: letters, digits, _ - . : only)',
      },
      {
        start: { line: 7, character: 52 },
        at: 'web_1',
        message: "`instance` `web_1` is not an instance name (letters, digits and '-')",
      },
    ]);
  });

  it("a problem with no field of its own (a storage without path) points at the entry's name, never the whole " +
    "file", () => {
    const text = `version: 1
storage:
  pool: { media: ssd }
jobs:
  db: { kind: pg-dump, database: app, to: pool }
`;
    const [f, ...rest] = run(text).findings;
    expect(rest).toEqual([]);
    expect(shown(text, f)).toMatchObject({
      start: { line: 2, character: 2 },
      end: { line: 2, character: 6 },
      text: 'pool',
    });
    expect(f.message).toBe('storage `pool` needs a `path` (a directory on its host) for kind pg-dump');
  });

  it('does not repeat another rule: unknown kind, unknown reference, inline secret, unsupported retention', () => {
    const cases = [
      // unknown kind (schema)
      `${HEAD}  odd: { kind: tarball, host: web, paths: [/etc], to: nas-repo }\n`,
      // unknown host: the driver would also miss the password; both wait for the reference
      `${HEAD}  files: { kind: restic, host: webb, paths: [/etc], to: nas-repo }\n`,
      // unknown storage host (on the storage the job uses)
      `${HEAD.replace('host: nas,', 'host: nass,')}  files: { kind: restic, host: web, paths: [/etc], to: nas-repo, ` +
        `password_env: P }\n`,
      // a password written in the plan (secret-inline)
      `${HEAD}  files: { kind: restic, host: web, paths: [/etc], to: nas-repo, password: hunter2 }\n`,
      // Velero prunes by TTL only (retention-unsupported), named policy
      `${HEAD.replace('jobs:\n', 'policies:\n  gfs: { keep: { daily: 7 } }\njobs:\n')}  k8s: { kind: velero, host: ` +
        `web, namespaces: [app], retention: gfs }\n`,
    ];
    for (const text of cases) {
      const r = all(text);
      expect(r.internalErrors).toEqual([]);
      expect(
        r.findings.some((f) => f.severity === 'error'),
        text,
      ).toBe(true);
      expect(ours(r.findings), text).toEqual([]);
    }
    // The same unknown host with unknown-reference turned off: the run would still refuse it.
    const off = `${cases[1]}checks: { unknown-reference: off }\n`;
    expect(ours(all(off).findings).map((f) => f.message)).toEqual([
      'host `webb` is not defined under hosts',
      'restic needs the repository password: set `password_env` or `password_file` on the job or its storage',
    ]);
  });

  it('never reports what only live state can tell (a target that exists), though the runner would with it', () => {
    const text = `version: 1
hosts:
  a: { address: 10.0.0.2 }
  b: { address: 10.0.0.3, role: standby }
storage:
  b-pool: { host: b }
jobs:
  snaps: { kind: zfs-snapshot, host: a, dataset: tank/data }
  send: { kind: zfs-send, from: snaps, to: b-pool, dataset: backup/data }
  isnaps: { kind: incus-snapshot, host: a, instance: web }
  icopy: { kind: incus-copy, from: isnaps, to: b-pool, refresh: false, autostart: false }
`;
    const r = run(text);
    expect(r.findings).toEqual([]);
    const live = planSteps(r.model!, {
      now: NOW,
      state: { send: { targetExists: true }, icopy: { targetExists: true } },
    });
    expect(live.errors.map((e) => e.job)).toEqual(['send', 'icopy']);
  });

  it('resolves relative local paths as the commands do, and skips disabled jobs', () => {
    const text = `version: 1
hosts:
  me: {}
  web: { address: 10.0.0.2 }
storage:
  backups: { host: me, path: ../backups }
jobs:
  docs: { kind: archive, host: me, paths: [.], to: backups }
  old: { kind: archive, host: web, paths: [/etc], to: backups, enabled: false }
`;
    expect(run(text).findings).toEqual([]);
    // Enabled, the remote archive is reported, and only it: the relative paths stay fine.
    const enabled = run(text.replace(', enabled: false', '')).findings;
    expect(enabled.map((f) => text.slice(f.range.start, f.range.end))).toEqual(['web']);
  });

  it('a driver that throws gives no finding and no crash', () => {
    const text = `${HEAD}  files: { kind: restic, host: web, paths: [/etc], to: nas-repo }\n`;
    expect(ours(all(text).findings)).toHaveLength(1);
    const restic = DRIVERS.restic;
    DRIVERS.restic = () => {
      throw new Error('boom');
    };
    try {
      const r = all(text);
      expect(r.internalErrors).toEqual([]);
      expect(ours(r.findings)).toEqual([]);
    } finally {
      DRIVERS.restic = restic;
    }
  });

  it('gives nothing on the example plans', () => {
    const dir = join(__dirname, '../../../examples');
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.backplan.yaml'))) {
      const r = run(readFileSync(join(dir, file), 'utf8'));
      expect(r.findings, file).toEqual([]);
    }
  });
});
