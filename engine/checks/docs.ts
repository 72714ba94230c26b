// The reference page of each rule: what it checks, a plan that fires it and how to fix it.
// docs/reference is generated from this table and the rules' own metadata (id, severity,
// summary) by scripts/gen-docs.mjs, and a unit test runs every example through the check
// pipeline: a page whose example stops firing its rule fails the build. The record is keyed by
// RuleId, so a new rule without its page does not compile.
import type { RuleId } from '../findings';
import type { MeasuredRestore } from '../recovery/measured';

export interface RuleDoc {
  /** Markdown: what the rule looks at and why it matters. */
  checks: string;
  /** A whole plan (YAML) on which the rule fires. */
  example: string;
  /** Markdown: how to make the finding go away. */
  fix: string;
  /** The journal the example needs, for the rules that read one (`backplan check --state-dir`). */
  journal?: {
    lastSuccess?: Record<string, string>;
    restores?: Record<string, MeasuredRestore>;
  };
}

/** The moment every example is checked at (their messages are printed in the docs). */
export const EXAMPLE_NOW = '2026-03-01T00:00:00Z';

export const RULE_DOCS: Record<RuleId, RuleDoc> = {
  'yaml-syntax': {
    checks:
      'The plan must be valid YAML 1.2. Each parse error is reported at its own position; nothing else is checked ' +
      'until the YAML reads.',
    example: `version: 1
jobs:
  etc: { kind: archive, paths: [/etc], to: disk
`,
    fix: 'Close the flow map or list, fix the indentation or quote the value the message points at.',
  },
  schema: {
    checks:
      'The structure of the plan against the JSON Schema (`schemas/backplan.schema.json`): unknown keys (with the ' +
      'closest known key), values of the wrong type, missing required fields, keys of another job kind, and keys ' +
      'written in the wrong place (`expiry` beside `schedule` instead of under `retention`). Time zones must be IANA ' +
      'names.',
    example: `version: 1
storage:
  disk: { path: /srv/backup }
jobs:
  etc:
    kind: archive
    paths: [/etc]
    to: disk
    schedul: "0 3 * * *"
`,
    fix:
      'Rename the key as suggested (a quick fix does it), move it where it belongs, or give the value the type the ' +
      'message names.',
  },
  'cron-invalid': {
    checks:
      'Every `schedule`, `prune_schedule` and `verify.schedule` must be a 5-field cron expression or one of `@hourly ' +
      '@daily @weekly @monthly @yearly`. The range points at the field that is wrong.',
    example: `version: 1
storage:
  disk: { path: /srv/backup }
jobs:
  etc: { kind: archive, paths: [/etc], to: disk, schedule: "0 25 * * *" }
`,
    fix:
      'Give each field a value in its range: minute 0-59, hour 0-23, day of month 1-31, month 1-12, ' +
      'day of week 0-7.',
  },
  'duration-invalid': {
    checks:
      'Durations are written `Nmin Nh Nd Nw Nmo Ny`, combinable (`1y2mo3d`). A bare `m` is refused: it could mean ' +
      'minutes or months.',
    example: `version: 1
storage:
  disk: { path: /srv/backup }
jobs:
  etc: { kind: archive, paths: [/etc], to: disk, schedule: "0 3 * * *", rpo: 2m }
`,
    fix: 'Write `min` for minutes or `mo` for months (the quick fix offers both).',
  },
  'unknown-reference': {
    checks:
      'Every host, storage, policy and job named by another entry (`host`, `to`, `storage`, `retention`, `from`, ' +
      '`after` ...) must be defined in the plan.',
    example: `version: 1
storage:
  disk: { path: /srv/backup }
jobs:
  etc: { kind: archive, paths: [/etc], to: dsik }
`,
    fix: 'Correct the name (the quick fix offers the closest defined one) or define the missing entry.',
  },
  'dependency-cycle': {
    checks:
      'Jobs ordered by `after`, and copies that read another job through `from`, must not form a loop: no order ' +
      'could ' +
      'run them.',
    example: `version: 1
storage:
  disk: { path: /srv/backup }
jobs:
  a: { kind: archive, paths: [/etc], to: disk, after: [b] }
  b: { kind: archive, paths: [/srv], to: disk, after: [a] }
`,
    fix: 'Remove one of the `after` (or `from`) links of the cycle.',
  },
  'expiry-gap': {
    checks:
      'With an `expiry`, each snapshot is deleted at its creation time plus the expiry. When the expiry is not ' +
      'longer ' +
      'than the longest interval between two runs (DST included), a snapshot is gone before the next one exists: ' +
      'there are times with no snapshot at all (Incus, Velero), or the first prune after the next run keeps only ' +
      "`min` copies (Backplan's own pruner).",
    example: `version: 1
hosts:
  nas: { site: home }
storage:
  pool: { host: nas, media: hdd }
jobs:
  data:
    kind: zfs-snapshot
    host: nas
    dataset: tank/data
    storage: pool
    schedule: "0 3 * * *"
    retention: { expiry: 1d }
`,
    fix:
      'Make the expiry longer than the longest interval between runs (the quick fix proposes one), ' +
      'or run more often.',
  },
  'expiry-before-copy': {
    checks:
      'A copy job (`from: X`) takes the snapshots of X. When a snapshot of X expires before the next run of the ' +
      'copy, ' +
      'that snapshot is never copied.',
    example: `version: 1
hosts:
  prod: { site: a }
  backup: { site: b }
storage:
  prod-pool: { host: prod, media: ssd }
  backup-pool: { host: backup, media: hdd }
jobs:
  snaps:
    kind: zfs-snapshot
    host: prod
    dataset: tank/vm
    storage: prod-pool
    schedule: "0 * * * *"
    retention: { expiry: 3h }
  replica:
    kind: zfs-send
    from: snaps
    to: backup-pool
    dataset: backup/vm
    schedule: "30 2 * * *"
`,
    fix:
      'Run the copy job at least as often as the expiry (or after the snapshot job: `after: [X]`), or lengthen the ' +
      'expiry of the source.',
  },
  'autostart-on-standby': {
    checks:
      'An `incus-copy` to a host with `role: standby` carries `boot.autostart` over with the instance: unless ' +
      "`autostart` is `false`, the standby copy would boot beside the primary after the standby's next reboot (same " +
      'addresses, same jobs).',
    example: `version: 1
hosts:
  prod: { address: 10.0.0.1, site: a, role: primary }
  spare: { address: 10.0.0.2, site: b, role: standby }
storage:
  spare-pool: { host: spare, media: ssd }
jobs:
  web-snap:
    kind: incus-snapshot
    host: prod
    instance: web
    schedule: "0 * * * *"
    retention: { keep: { hourly: 24 } }
  web-standby:
    kind: incus-copy
    host: prod
    from: web-snap
    instance: web
    remote: spare
    to: spare-pool
    schedule: "15 * * * *"
`,
    fix: 'Set `autostart: false` on the copy job (the quick fix writes it).',
  },
  'coverage-3-2-1': {
    checks:
      'Each chain (a job that reads live data and the jobs that copy its output) is counted against ' +
      '`checks.coverage`, by default 3 copies (the live data included) on 2 media with 1 offsite. Snapshots on the ' +
      "data's own storage add no copy; a `replicated` storage is one copy.",
    example: `version: 1
hosts:
  web: { site: office }
storage:
  disk: { host: web, media: hdd }
jobs:
  etc: { kind: archive, host: web, paths: [/etc], to: disk, schedule: "0 3 * * *" }
`,
    fix:
      'Add copy jobs (`from:` the chain) to storage on another medium and another site, or lower `checks.coverage` ' +
      'for this plan, or accept the finding with a reason (`accept: {coverage-3-2-1: "..."}`).',
  },
  'snapshot-not-backup': {
    checks:
      'A chain whose only protection is snapshots on the storage of the data itself: losing that pool or disk loses ' +
      'the data and every snapshot together.',
    example: `version: 1
hosts:
  nas: { site: home }
storage:
  pool: { host: nas, media: hdd }
jobs:
  data:
    kind: zfs-snapshot
    host: nas
    dataset: tank/data
    storage: pool
    schedule: "0 * * * *"
    retention: { keep: { hourly: 24, daily: 7 } }
`,
    fix:
      'Copy the snapshots to another storage (`zfs-send`, `btrfs-send`, `incus-copy`; from a `pruner: sanoid` job, a ' +
      '`zfs-send` with `pruner: sanoid`) or back the data up with a file backup (restic, borg, archive ...).',
  },
  'rpo-exceeded': {
    checks:
      "The job's `rpo` (the most data you accept to lose) against the longest interval between two runs of its " +
      'schedule, DST included.',
    example: `version: 1
storage:
  disk: { path: /srv/backup }
jobs:
  etc: { kind: archive, paths: [/etc], to: disk, schedule: "0 3 * * *", rpo: 12h }
`,
    fix: 'Run more often (e.g. `0 */6 * * *`) or raise the `rpo` to what the schedule really gives.',
  },
  'retention-invalid': {
    checks:
      'A policy must make sense on its own: tiers in increasing `until` order, an `every` no wider than its ' +
      'band, and ' +
      'at least one rule that keeps something.',
    example: `version: 1
storage:
  disk: { path: /srv/backup }
policies:
  none: { keep: { daily: 0 } }
jobs:
  etc: { kind: archive, paths: [/etc], to: disk, schedule: "0 3 * * *", retention: none }
`,
    fix:
      'Give the rule a count above zero (or `all`), put the tiers in increasing order of `until`, ' +
      'or narrow `every`.',
  },
  'retention-unsupported': {
    checks:
      "The job's kind fixes the engine that prunes it (restic `forget`, borg `prune`, PBS `prune-backups`, Incus " +
      "expiry, Velero ttl, Backplan's own rules). A policy form that engine cannot express is an error, never a " +
      'silent approximation. sanoid types snapshots by name: a `pruner: sanoid` zfs-send needs a `pruner: sanoid` ' +
      'source (and the reverse), and keeps only types the source takes.',
    example: `version: 1
storage:
  repo: { url: "sftp:backup@nas:/srv/restic" }
jobs:
  home:
    kind: restic
    paths: [/home]
    to: repo
    password_env: RESTIC_PASSWORD
    schedule: "0 2 * * *"
    retention:
      tiers:
        - { keep: all, until: 7d }
        - { every: 1w }
`,
    fix:
      'Write the policy with the forms that engine has (for restic: `keep` counts and `within`), or use a kind that ' +
      'Backplan prunes itself.',
  },
  'retention-too-short': {
    checks:
      'Retention that cannot hold what the schedule and the `rpo` need: it keeps less history than the `rpo`, or a ' +
      'separate `prune_schedule` finds every copy out of its windows and removes them all.',
    example: `version: 1
storage:
  disk: { path: /srv/backup }
jobs:
  etc:
    kind: archive
    paths: [/etc]
    to: disk
    schedule: "0 3 * * *"
    rpo: 1w
    retention: { keep: { last: 2 } }
`,
    fix:
      'Keep more copies (or longer windows) so that the oldest copy kept is at least the `rpo` old, or run the prune ' +
      'right after the backup.',
  },
  'replication-base-at-risk': {
    checks:
      'An incremental send needs the newest snapshot common to both sides as its base. When the source is pruned ' +
      'by a ' +
      'daemon that knows nothing of the replication (Incus `snapshots.expiry`, Velero ttl) and its expiry can delete ' +
      'that base before the next send, the next send has to copy everything again, or fails. sanoid keeps no base ' +
      'either: for a `pruner: sanoid` send from a `pruner: sanoid` source, both sides are replayed over the year and ' +
      'the rule fires when sanoid deletes the snapshot the next send starts from (older than count × period).',
    example: `version: 1
hosts:
  prod: { address: 10.0.0.1, site: a }
  spare: { address: 10.0.0.2, site: b, role: standby }
storage:
  spare-pool: { host: spare, media: ssd }
jobs:
  web-snap: { kind: incus-snapshot, host: prod, instance: web, schedule: "0 * * * *", retention: { expiry: 2h } }
  web-standby:
    kind: incus-copy
    host: prod
    from: web-snap
    instance: web
    remote: spare
    to: spare-pool
    autostart: false
    schedule: "30 3 * * *"
`,
    fix: "Lengthen the source's expiry beyond the longest time between two sends, or send more often.",
  },
  'db-without-dump': {
    checks:
      "A file backup (restic, borg, rsync, archive) of a running database's data directory copies files caught " +
      'mid-write: not a restorable database. It is fine when a dump job of that database runs first (`after`) or the ' +
      'directory is excluded.',
    example: `version: 1
storage:
  repo: { url: "sftp:backup@nas:/srv/restic" }
jobs:
  server:
    kind: restic
    paths: [/etc, /var/lib/postgresql]
    to: repo
    password_env: RESTIC_PASSWORD
    schedule: "0 2 * * *"
`,
    fix: 'Add a `pg-dump` (or `mysql-dump`) job and list it in `after`, or `exclude` the data directory.',
  },
  'dst-schedule': {
    checks:
      'A schedule time that falls in a daylight-saving change of its time zone: in the spring gap the run is ' +
      'skipped, ' +
      'in the autumn overlap it runs twice.',
    example: `version: 1
timezone: Europe/Paris
storage:
  disk: { path: /srv/backup }
jobs:
  etc: { kind: archive, paths: [/etc], to: disk, schedule: "30 2 * * *" }
`,
    fix: 'Move the run out of 01:00–03:59 local time, or write the plan (or the host) in `UTC`.',
  },
  'no-restore-test': {
    checks:
      'A backup that was never restored is a hope, not a backup. Each chain needs a `verify` (a restore test) on one ' +
      'of its jobs, or a journalled `backplan verify`.',
    example: `version: 1
storage:
  disk: { path: /srv/backup }
jobs:
  etc: { kind: archive, paths: [/etc], to: disk, schedule: "0 3 * * *" }
`,
    fix:
      'Add `verify: { schedule: "0 5 * * 0", restore: latest }` to a job of the chain (the quick fix writes it), ' +
      'then ' +
      'run `backplan verify`.',
  },
  'capacity-exceeded': {
    checks:
      'For each storage with a `capacity`: the sum, over the data landing there, of its `size` plus its daily ' +
      '`change` times the days its retention keeps. A deliberately simple projection, spelled out in the message.',
    example: `version: 1
storage:
  disk: { path: /srv/backup, capacity: 1TB }
jobs:
  media:
    kind: rsync
    paths: [/srv/media]
    to: disk
    size: 800GB
    change: 5%
    schedule: "0 3 * * *"
    retention: { keep: { daily: 30 } }
`,
    fix: 'Keep fewer copies, give the storage more room (`capacity`), or send part of the data elsewhere.',
  },
  'secret-inline': {
    checks:
      "A password, passphrase, token or key written in the plan ends up in version control, in editors' histories " +
      'and in backups of the plan. Secrets are referenced: `*_env` (an environment variable) or `*_file` (a file ' +
      'readable by the runner).',
    example: `version: 1
storage:
  repo: { url: "sftp:backup@nas:/srv/restic" }
jobs:
  home: { kind: restic, paths: [/home], to: repo, password: hunter2, schedule: "0 2 * * *" }
`,
    fix:
      'Replace the key by `password_env: NAME` (or `password_file: PATH`) and put the secret in that variable or ' +
      'file ' +
      '(the quick fix rewrites the key).',
  },
  'offsite-unencrypted': {
    checks:
      'A copy that leaves the site of its data must be encrypted: restic and borg repositories are, other kinds need ' +
      '`encrypt` (archive and dumps) or a copy of an encrypted output.',
    example: `version: 1
hosts:
  web: { site: office }
storage:
  local: { host: web, media: hdd }
  cloud: { site: provider, media: object, url: "s3:https://s3.example.org/backup" }
jobs:
  etc: { kind: archive, host: web, paths: [/etc], to: cloud, schedule: "0 3 * * *" }
`,
    fix:
      'Add `encrypt: { gpg: { recipient: backup@example.org } }` to the job, or use restic or borg for the offsite ' +
      'copy.',
  },
  unused: {
    checks:
      'A host, storage or policy that nothing uses: usually a typo elsewhere, or a leftover. Reported as a hint, ' +
      'greyed out.',
    example: `version: 1
storage:
  disk: { path: /srv/backup }
  old-disk: { path: /mnt/old }
jobs:
  etc: { kind: archive, paths: [/etc], to: disk }
`,
    fix: 'Remove the entry, or use it where it was meant to be used.',
  },
  'job-not-runnable': {
    checks:
      '`backplan plan` and `backplan run` would refuse the job: a restic or borg job without its password, `encrypt` ' +
      'on a kind that cannot apply it, a snapshot pattern without a time field, a storage without the `path` or ' +
      '`url` ' +
      'the kind writes to ...',
    example: `version: 1
storage:
  repo: { url: "sftp:backup@nas:/srv/restic" }
jobs:
  home: { kind: restic, paths: [/home], to: repo, schedule: "0 2 * * *" }
`,
    fix: 'Give the job what the message asks for (here `password_env: RESTIC_PASSWORD`; the quick fix inserts it).',
  },
  'backup-late': {
    checks:
      "(journal) With a state directory (`backplan check --state-dir D`, the editor's `backplan.stateDir`), the " +
      'newest good copy of each job is compared with its `rpo`: older means the backups stopped.',
    example: `version: 1
storage:
  disk: { path: /srv/backup }
jobs:
  etc: { kind: archive, paths: [/etc], to: disk, schedule: "0 3 * * *", rpo: 1d }
`,
    journal: { lastSuccess: { etc: '2026-02-20T03:00:00.000Z' } },
    fix: 'Find out why the job stopped succeeding: `backplan status` shows its last runs, the journal their errors.',
  },
  'notify-invalid': {
    checks:
      'A notification target must have what its type sends to (a URL, a recipient, a program), name known events ' +
      '(`start success warning failure late`) and hold no secret inline.',
    example: `version: 1
storage:
  disk: { path: /srv/backup }
notify:
  - { type: http, on: [failure] }
jobs:
  etc: { kind: archive, paths: [/etc], to: disk }
`,
    fix: 'Add the `url` (or `url_env`) the target posts to, and correct the event names.',
  },
  'rto-exceeded': {
    checks:
      "(journal) The job's `rto` against its last measured restore (a journalled `backplan verify` or `backplan " +
      'restore`), the restores of the jobs it needs first (`after`) included. Information when the restore was never ' +
      'measured.',
    example: `version: 1
storage:
  disk: { path: /srv/backup }
jobs:
  db: { kind: pg-dump, database: app, to: disk, schedule: "0 2 * * *", rto: 1h }
`,
    journal: { restores: { db: { at: '2026-02-01T03:00:00.000Z', seconds: 5400, via: 'verify' } } },
    fix:
      'Make the restore faster (a closer copy, a smaller data set) or set an `rto` you can meet; run `backplan ' +
      'verify` again to measure it.',
  },
  'accept-invalid': {
    checks:
      'An accepted finding (`accept: {RULE: "reason"}` or a `# backplan: accept RULE — reason` comment) needs a ' +
      'reason, and must still match a finding of that rule: an accept that matches nothing hides nothing and is ' +
      'reported.',
    example: `version: 1
storage:
  disk: { path: /srv/backup }
jobs:
  etc:
    kind: archive
    paths: [/etc]
    to: disk
    accept: { dst-schedule: "runs at 03:00 UTC" }
`,
    fix: 'Write the reason, or remove the accept that no longer matches anything.',
  },
  'path-missing': {
    checks:
      'A path read by a job whose host is this machine (no `address`, `localhost`, a loopback address) does not ' +
      "exist. Remote hosts are not looked at; relative paths resolve against the plan's folder.",
    example: `version: 1
storage:
  disk: { path: /srv/backup }
jobs:
  etc: { kind: archive, paths: [/nonexistent/backplan-example], to: disk }
`,
    fix: "Correct the path, or create it, or set the job's `host` to the machine that has it.",
  },
  'duplicity-rpo-gap': {
    checks:
      'duplicity removes whole chains, and `incrementals_of: N` leaves only the full backup of the older chains. ' +
      'The simulation of the job gives the restore points it really holds; two consecutive ones further apart ' +
      'than the `rpo` leave that span with fewer restore points than the `rpo` asks for.',
    example: `version: 1
storage:
  disk: { path: /srv/dup, media: hdd }
jobs:
  files:
    kind: duplicity
    paths: [/etc]
    to: disk
    schedule: "0 3 * * *"
    rpo: 1d
    full_every: 1w
    retention: { keep: { within: 1mo, incrementals_of: 1 } }
`,
    fix:
      'Keep the incrementals of more chains (or drop `incrementals_of`), make fulls more frequent, ' +
      'or raise the `rpo`.',
  },
  'duplicity-full-window': {
    checks:
      'duplicity deletes a chain only whole, once its newest set is older than the cutoff, and never the current ' +
      'chain. With `full_every` longer than the `within` window (or no `full_every` at all: a single chain) ' +
      'the copies reach far beyond the window, and restoring the newest point replays one long chain.',
    example: `version: 1
storage:
  disk: { path: /srv/dup, media: hdd }
jobs:
  files:
    kind: duplicity
    paths: [/etc]
    to: disk
    schedule: "0 3 * * *"
    full_every: 1mo
    retention: { keep: { within: 14d } }
`,
    fix:
      'Make `full_every` shorter than the retention window (e.g. `full_every: 1w` for `within: 14d`), ' +
      'or widen the window.',
  },
};
