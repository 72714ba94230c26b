// Quick fixes that do the work the message describes (issue #13, item 2), at the protocol level:
// each fix is applied to the text as the editor would, the result is checked again, and the
// finding it fixes must be gone with no new error and the plan's comments kept.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { CodeAction, Diagnostic } from 'vscode-languageserver/node';
import { applyEdits, LspClient, positionOf } from './harness';

let client: LspClient;

beforeAll(async () => {
  client = await LspClient.start({ initializationOptions: { now: '2026-03-28T12:00:00Z' } });
}, 120_000);

afterAll(async () => {
  await client?.stop();
});

let n = 0;
async function check(text: string): Promise<{ uri: string; diagnostics: Diagnostic[] }> {
  const uri = `untitled:/quick-fix-${++n}.backplan.yaml`;
  await client.open(uri, text);
  return { uri, diagnostics: await client.diagnosticsFor(uri, 1) };
}

const summary = (ds: Diagnostic[]) => ds.map((d) => `${d.code}@${d.range.start.line}: ${d.message}`);
const errors = (ds: Diagnostic[]) => ds.filter((d) => d.severity === 1).map((d) => `${d.code}: ${d.message}`);

interface Applied {
  action: CodeAction;
  before: Diagnostic[];
  after: Diagnostic[];
  out: string;
}

/**
 * Applies the quick fix whose title starts with `title`, offered on the `rule` diagnostic that
 * starts at `needle`; checks the result parses and has no error the original did not have.
 */
async function applyFix(text: string, rule: string, needle: string, title: string): Promise<Applied> {
  const { uri, diagnostics } = await check(text);
  const at = positionOf(text, needle);
  const diag = diagnostics.find(
    (d) => d.code === rule && d.range.start.line === at.line && d.range.start.character === at.character,
  );
  expect(diag, `a ${rule} diagnostic at ${needle} among ${JSON.stringify(summary(diagnostics))}`).toBeDefined();
  const actions = await client.request<CodeAction[]>('textDocument/codeAction', {
    textDocument: { uri },
    range: diag!.range,
    context: { diagnostics: [diag], only: ['quickfix'] },
  });
  const action = actions.find((a) => a.title.startsWith(title));
  expect(action, `"${title}…" among ${JSON.stringify(actions.map((a) => a.title))}`).toBeDefined();
  const out = applyEdits(text, action!.edit!.changes![uri]);
  expect(() => parse(out)).not.toThrow();
  const after = (await check(out)).diagnostics;
  expect(
    after.filter((d) => d.code === 'yaml-syntax' || d.code === 'schema'),
    summary(after).join('\n'),
  ).toEqual([]);
  const old = new Set(errors(diagnostics));
  expect(
    errors(after).filter((e) => !old.has(e)),
    out,
  ).toEqual([]);
  return { action: action!, before: diagnostics, after, out };
}

/** The diagnostics of `rule` that start on the line of `needle` in `text`. */
const on = (ds: Diagnostic[], rule: string, text: string, needle: string) => {
  const line = positionOf(text, needle).line;
  return ds.filter((d) => d.code === rule && d.range.start.line === line);
};

const HEAD = `version: 1
hosts:
  web: { address: 10.0.0.1, site: campus-a }   # the web server
  vault: { address: 10.0.9.1, site: campus-b }
storage:
  nas: { host: web, media: hdd, path: /srv/backups }
  far: { host: vault, media: tape, path: /srv/tape }
`;

describe('no-restore-test', () => {
  it('inserts the verify the message spells out into the job it names', async () => {
    const text = `${HEAD}jobs:
  files:
    kind: restic
    host: web
    paths: [/srv/www]   # the site
    to: nas
    password_env: RESTIC_PASSWORD
    schedule: "0 3 * * *"
`;
    const { action, before, after, out } = await applyFix(
      text,
      'no-restore-test',
      'files:',
      'Add a weekly restore test',
    );
    expect(before.find((d) => d.code === 'no-restore-test')!.message).toContain(
      'verify: { schedule: "@weekly", restore: sample }',
    );
    expect(action.isPreferred).toBe(true);
    expect(out).toBe(
      text.replace('"0 3 * * *"\n', '"0 3 * * *"\n    verify: { schedule: "@weekly", restore: sample }\n'),
    );
    expect(on(after, 'no-restore-test', out, 'files:')).toEqual([]);
  });
});

describe('job-not-runnable', () => {
  it('gives a restic job without a password a password_env named after the job', async () => {
    const text = `${HEAD}jobs:
  web-files:
    kind: restic
    host: web
    paths: [/srv/www]
    to: nas
    schedule: "0 3 * * *"   # nightly
    verify: { schedule: "@weekly", restore: sample }
`;
    const { action, before, after, out } = await applyFix(
      text,
      'job-not-runnable',
      'nas\n    schedule',
      'Read the password from the environment',
    );
    expect(before.find((d) => d.code === 'job-not-runnable')!.message).toContain(
      'restic needs the repository password',
    );
    expect(action.title).toBe(
      'Read the password from the environment: password_env: BACKPLAN_WEB_FILES_PASSWORD ' +
        '(export BACKPLAN_WEB_FILES_PASSWORD where backplan runs)',
    );
    expect(out).toBe(
      text.replace('restore: sample }\n', 'restore: sample }\n    password_env: BACKPLAN_WEB_FILES_PASSWORD\n'),
    );
    expect(after.filter((d) => d.code === 'job-not-runnable')).toEqual([]);
  });
});

describe('secret-inline', () => {
  it('replaces the password with password_env and says where the secret goes', async () => {
    const text = `${HEAD}jobs:
  files:
    kind: restic
    host: web
    paths: [/srv/www]
    to: nas
    password: "correct horse"   # to move out
    schedule: "0 3 * * *"
    verify: { schedule: "@weekly", restore: sample }
`;
    const { action, after, out } = await applyFix(
      text,
      'secret-inline',
      '"correct horse"',
      'Read it from the environment',
    );
    expect(action.title).toBe(
      'Read it from the environment: password_env: RESTIC_PASSWORD (then export RESTIC_PASSWORD where backplan runs)',
    );
    expect(out).not.toContain('correct horse');
    expect(out).toContain('    password_env: RESTIC_PASSWORD   # to move out\n');
    expect(after.filter((d) => d.code === 'secret-inline' || d.code === 'job-not-runnable')).toEqual([]);
  });

  it('removes the secret when its *_env is already set beside it', async () => {
    const text = `${HEAD}jobs:
  files:
    kind: restic
    host: web
    paths: [/srv/www]
    to: nas
    password_env: RESTIC_PASSWORD
    password: hunter2
    schedule: "0 3 * * *"
    verify: { schedule: "@weekly", restore: sample }
`;
    const { after, out } = await applyFix(text, 'secret-inline', 'hunter2', 'Remove the secret');
    expect(out).toBe(text.replace('    password: hunter2\n', ''));
    expect(after.filter((d) => d.code === 'secret-inline')).toEqual([]);
  });
  it('removes it from a flow mapping too, comma and all', async () => {
    const text = `${HEAD}jobs:
  files: { kind: restic, host: web, paths: [/srv], to: nas, password_env: RESTIC_PASSWORD, password: hunter2 }
`;
    const { after, out } = await applyFix(text, 'secret-inline', 'hunter2', 'Remove the secret');
    expect(out).toBe(text.replace(', password: hunter2', ''));
    expect(after.filter((d) => d.code === 'secret-inline')).toEqual([]);
  });
});

describe('expiry-gap and replication-base-at-risk: the expiry the message computed', () => {
  it('expiry-gap: changes an inline expiry to the one suggested', async () => {
    const text = `${HEAD}jobs:
  snaps:
    kind: zfs-snapshot
    host: web
    dataset: tank/www
    storage: nas
    schedule: "0 */6 * * *"
    retention: { expiry: 6h }   # too short
`;
    const { before, after, out } = await applyFix(text, 'expiry-gap', '6h }', 'Change expiry to 12h');
    expect(before.find((d) => d.code === 'expiry-gap')!.message).toContain('e.g. 12h');
    expect(out).toBe(text.replace('{ expiry: 6h }', '{ expiry: 12h }'));
    expect(after.filter((d) => d.code === 'expiry-gap')).toEqual([]);
  });

  it('expiry-gap: a Velero job on the default ttl gets the retention the message spells out', async () => {
    const text = `version: 1
jobs:
  cluster:
    kind: velero
    namespaces: [shop]
    schedule: "0 0 1 */2 *"   # every other month
`;
    const { before, after, out } = await applyFix(text, 'expiry-gap', '"0 0 1 */2 *"', 'Set expiry to 18w');
    expect(before.find((d) => d.code === 'expiry-gap')!.message).toContain("set 'retention: { expiry: 18w }'");
    expect(out).toBe(`${text}    retention: { expiry: 18w }\n`);
    expect(after.filter((d) => d.code === 'expiry-gap')).toEqual([]);
  });

  it('replication-base-at-risk: sets an expiry longer than the base must survive', async () => {
    const text = `version: 1
hosts:
  prod: { address: 10.0.0.1 }
  standby: { address: 10.0.0.2, role: standby }
storage:
  standby-pool: { host: standby, media: hdd }
jobs:
  snaps:
    kind: incus-snapshot
    host: prod
    instance: web
    schedule: "0 */6 * * *"
    retention:
      expiry: 1d   # Incus deletes them
  copy:
    kind: incus-copy
    from: snaps
    host: prod
    instance: web
    remote: standby
    to: standby-pool
    autostart: false
    schedule: "30 2 * * *"
`;
    const { before, action, after, out } = await applyFix(
      text,
      'replication-base-at-risk',
      '1d   #',
      'Change expiry to 3d',
    );
    expect(before.find((d) => d.code === 'replication-base-at-risk')!.message).toContain(
      'make the expiry longer than 1d 2h 30min',
    );
    expect(action.title).toBe('Change expiry to 3d (longer than 1d 2h 30min)');
    expect(action.isPreferred).toBe(true);
    expect(out).toBe(text.replace('expiry: 1d   #', 'expiry: 3d   #'));
    expect(after.filter((d) => d.code === 'replication-base-at-risk')).toEqual([]);
  });
});

describe('unknown-reference: create what is missing', () => {
  const JOB = (to: string, retention = '') => `jobs:
  files:
    kind: restic
    host: web
    paths: [/srv/www]
    to: ${to}
    password_env: RESTIC_PASSWORD
    schedule: "0 3 * * *"
    verify: { schedule: "@weekly", restore: sample }
${retention}`;

  it('a storage skeleton at the end of `storage:`, beside the "change to" fix', async () => {
    const text = `${HEAD}${JOB('backup-disk')}`;
    const { uri, diagnostics } = await check(text);
    const diag = diagnostics.find((d) => d.code === 'unknown-reference')!;
    const titles = (
      await client.request<CodeAction[]>('textDocument/codeAction', {
        textDocument: { uri },
        range: diag.range,
        context: { diagnostics: [diag] },
      })
    ).map((a) => a.title);
    expect(titles.filter((t) => t.startsWith('Create'))).toEqual([
      'Create storage backup-disk under storage: (to fill in)',
    ]);
    const { after, out } = await applyFix(text, 'unknown-reference', 'backup-disk', 'Create storage backup-disk');
    expect(out).toBe(
      text.replace(
        '  far: { host: vault, media: tape, path: /srv/tape }\n',
        '  far: { host: vault, media: tape, path: /srv/tape }\n' +
          '  backup-disk: { host: web, media: hdd, path: /srv/backplan/backup-disk }\n',
      ),
    );
    expect(after.filter((d) => d.code === 'unknown-reference')).toEqual([]);
  });

  it('a typo gets both: "Change to" preferred, "Create" besides it', async () => {
    const text = `${HEAD}${JOB('nass')}`;
    const { uri, diagnostics } = await check(text);
    const diag = diagnostics.find((d) => d.code === 'unknown-reference')!;
    const actions = await client.request<CodeAction[]>('textDocument/codeAction', {
      textDocument: { uri },
      range: diag.range,
      context: { diagnostics: [diag] },
    });
    expect(actions.map((a) => [a.title, a.isPreferred ?? false])).toEqual([
      ['Change to nas', true],
      ['Create storage nass under storage: (to fill in)', false],
    ]);
  });

  it('a policy skeleton, the `policies:` section created before `jobs:`', async () => {
    const text = `${HEAD}# the jobs\n${JOB('nas', '    retention: weekly-ish\n')}`;
    const { action, after, out } = await applyFix(text, 'unknown-reference', 'weekly-ish', 'Create policy weekly-ish');
    expect(action.isPreferred).toBe(true);
    expect(out).toBe(
      text.replace(
        '# the jobs\n',
        'policies:\n  weekly-ish:\n    keep: { daily: 7, weekly: 4, monthly: 6 }\n# the jobs\n',
      ),
    );
    expect(after.filter((d) => d.code === 'unknown-reference')).toEqual([]);
  });

  it('a host skeleton in a block `hosts:` section', async () => {
    const text = `version: 1
hosts:
  web:
    address: 10.0.0.1   # the web server
storage:
  nas: { host: backup2, media: hdd, path: /srv/backups }
${JOB('nas')}`;
    const { after, out } = await applyFix(text, 'unknown-reference', 'backup2', 'Create host backup2');
    expect(out).toBe(text.replace('# the web server\n', '# the web server\n  backup2:\n    address: backup2\n'));
    expect(after.filter((d) => d.code === 'unknown-reference')).toEqual([]);
  });
});

describe('misplaced keys beside `schedule` merge into an existing `retention`', () => {
  const JOB = (extra: string) => `${HEAD}jobs:
  snaps:
    kind: zfs-snapshot
    host: web
    dataset: tank/www
    storage: nas
    schedule: "0 */6 * * *"
${extra}`;

  it('`keep` joins `retention: { min: 2 }` (a flow mapping)', async () => {
    const text = JOB('    retention: { min: 2 }   # two at least\n    keep: { daily: 7 }\n');
    const { after, out } = await applyFix(text, 'schema', 'keep:', 'Move to retention.keep');
    expect(out).toBe(JOB('    retention: { min: 2, keep: { daily: 7 } }   # two at least\n'));
    expect(after.filter((d) => d.code === 'schema')).toEqual([]);
  });

  it('`tiers` (a block list) joins a block `retention`, comments kept', async () => {
    const tiers =
      '    tiers:          # Incus habit\n      - { keep: all, until: 1d }\n      - { every: 1d, until: 1mo }\n';
    const text = JOB(`    retention:\n      min: 2   # two at least\n${tiers}    description: web\n`);
    const { after, out } = await applyFix(text, 'schema', 'tiers:', 'Move to retention.tiers');
    expect(out).toBe(
      JOB(
        '    retention:\n      min: 2   # two at least\n      tiers:          # Incus habit\n' +
          '        - { keep: all, until: 1d }\n        - { every: 1d, until: 1mo }\n    description: web\n',
      ),
    );
    expect(parse(out).jobs.snaps.retention.tiers).toHaveLength(2);
    expect(after.filter((d) => d.code === 'schema')).toEqual([]);
  });

  it('`expiry` joins a block `retention` holding `min`', async () => {
    const text = JOB('    retention:\n      min: 2\n    expiry: 1w   # expiry\n');
    const { after, out } = await applyFix(text, 'schema', 'expiry:', 'Move to retention.expiry');
    expect(out).toBe(JOB('    retention:\n      min: 2\n      expiry: 1w   # expiry\n'));
    expect(after.filter((d) => d.code === 'schema')).toEqual([]);
  });
});

describe('coverage-3-2-1: copy jobs that close the gap', () => {
  const FILES = `jobs:
  files:
    kind: restic
    host: web
    paths: [/srv/www]
    to: nas
    password_env: RESTIC_PASSWORD
    schedule: "0 3 * * *"   # nightly
    verify: { schedule: "@weekly", restore: sample }
`;

  it('a restic copy of the output onto the storage on another site and media', async () => {
    const text = `${HEAD}${FILES}`;
    const { before, action, after, out } = await applyFix(text, 'coverage-3-2-1', 'files:', 'Add a copy job');
    expect(before.find((d) => d.code === 'coverage-3-2-1')!.message).toContain('2 copies, 1 media, 0 offsite');
    expect(action.title).toBe('Add a copy job files-to-far to far');
    expect(out).toBe(
      `${text}  files-to-far:\n    kind: restic\n    from: files\n    host: web\n    paths: [/srv/backups/files]\n` +
        '    to: far\n    password_env: BACKPLAN_FILES_TO_FAR_PASSWORD\n',
    );
    expect(after.filter((d) => d.code === 'coverage-3-2-1')).toEqual([]);
  });

  it('a storage skeleton too when no storage is on another site', async () => {
    const text = `version: 1
hosts:
  web: { address: 10.0.0.1, site: campus-a }
storage:
  nas: { host: web, media: hdd, path: /srv/backups }   # the only one
${FILES}`;
    const { action, after, out } = await applyFix(text, 'coverage-3-2-1', 'files:', 'Add a copy job');
    expect(action.title).toBe(
      'Add a copy job files-to-offsite-files to offsite-files (new storage offsite-files: fill in its url)',
    );
    expect(out).toContain(
      '# the only one\n' +
        '  offsite-files: { site: offsite, media: object, url: "s3:https://s3.example.org/offsite-files" }\n',
    );
    expect(out).toContain('  files-to-offsite-files:\n    kind: restic\n    from: files\n');
    expect(after.filter((d) => d.code === 'coverage-3-2-1')).toEqual([]);
  });

  it('zfs: zfs-send jobs from the snapshot job, as many as copies are missing', async () => {
    const text = `${HEAD.replace('storage:\n', 'storage:\n  spare: { host: vault, media: hdd }\n')}jobs:
  snaps:
    kind: zfs-snapshot
    host: web
    dataset: tank/www
    storage: nas
    schedule: "0 */6 * * *"
    retention: { keep: { hourly: 24, daily: 7 } }
    verify: { schedule: "@weekly", restore: sample }
`;
    const { action, after, out } = await applyFix(text, 'coverage-3-2-1', 'snaps:', 'Add copy jobs');
    expect(action.title).toBe('Add copy jobs snaps-to-far, snaps-to-spare to far, spare');
    expect(parse(out).jobs['snaps-to-far']).toEqual({
      kind: 'zfs-send',
      from: 'snaps',
      host: 'web',
      to: 'far',
      dataset: 'tank/www',
    });
    expect(parse(out).jobs['snaps-to-spare'].dataset).toBe('tank/www-spare');
    expect(after.filter((d) => d.code === 'coverage-3-2-1')).toEqual([]);
  });
});

describe('coverage-3-2-1 for an Incus chain', () => {
  it('an incus-copy from the snapshot job onto the standby, autostart off', async () => {
    const text = `version: 1
hosts:
  prod: { address: 10.0.0.1, site: a }
  standby: { address: 10.0.0.2, site: b, role: standby }
storage:
  prod-pool: { host: prod, media: ssd }
  standby-pool: { host: standby, media: hdd }
  spare-pool: { host: standby, media: hdd }
jobs:
  web-snaps:
    kind: incus-snapshot
    host: prod
    instance: web
    storage: prod-pool
    schedule: "0 */6 * * *"
    retention: { keep: { daily: 7 } }
`;
    const { action, after, out } = await applyFix(text, 'coverage-3-2-1', 'web-snaps:', 'Add copy jobs');
    expect(action.title).toBe(
      'Add copy jobs web-snaps-to-standby-pool, web-snaps-to-spare-pool to standby-pool, spare-pool',
    );
    expect(parse(out).jobs['web-snaps-to-standby-pool']).toEqual({
      kind: 'incus-copy',
      from: 'web-snaps',
      host: 'prod',
      to: 'standby-pool',
      autostart: false,
    });
    // the second copy on the same Incus server gets an instance name of its own
    expect(parse(out).jobs['web-snaps-to-spare-pool'].instance).toBe('web-spare-pool');
    expect(after.filter((d) => d.code === 'coverage-3-2-1' || d.code === 'autostart-on-standby')).toEqual([]);
  });
});
