// Every `backplan` command: its options (name, value, meaning, default), two examples and its exit
// codes. This one table feeds both the argument parser (cli/main.ts: an option that is not here is
// refused) and the help (cli/help.ts), so the help cannot drift from what is parsed. It imports
// nothing heavy: the implementations are loaded only when a command runs, so `--help` is fast.
import type { CommandDecl, OptionDecl } from '../command';
import { EXPORT_TARGETS } from '../../engine/export/types';
import type { EngineId } from '../../engine/retention/types';

/** The pruning engines `retain --engine` accepts (a test checks it against the engine's ENGINE_IDS). */
export const RETAIN_ENGINES = [
  'restic',
  'borg',
  'pbs',
  'native',
  'incus',
  'velero',
  'duplicity',
  'sanoid',
  'btrbk',
] as const satisfies readonly EngineId[];

const STATE_DIR_DEFAULT = '$BACKPLAN_STATE_DIR, else $XDG_STATE_HOME/backplan, else ~/.local/state/backplan';

const format = (choices: readonly string[]): OptionDecl => ({
  name: 'format',
  short: 'f',
  value: choices.join('|'),
  choices,
  meaning: 'output format',
  default: 'text',
});
const job = (meaning: string, dflt: string | undefined): OptionDecl => ({
  name: 'job',
  short: 'j',
  value: 'J',
  meaning,
  ...(dflt === undefined ? { required: true } : { default: dflt }),
});
const stateDir = (meaning: string, dflt = STATE_DIR_DEFAULT): OptionDecl => ({ name: 'state-dir', value: 'D', meaning, default: dflt });
const breakStaleLock: OptionDecl = {
  name: 'break-stale-lock',
  meaning: 'remove a job lock left by an interrupted run (checked again to be stale first), then go on',
  default: 'off: a stale lock stops the job with the lock’s details',
};
const sshOption: OptionDecl = {
  name: 'ssh-option',
  value: 'KEY=VALUE',
  multiple: true,
  meaning: 'an extra `ssh -o KEY=VALUE` for every ssh connection (repeatable)',
  default: 'none: ssh’s own configuration',
};

export const COMMANDS: CommandDecl[] = [
  {
    name: 'check',
    summary: 'check plans and print every diagnostic',
    args: 'PLAN...',
    options: [
      format(['text', 'json', 'sarif']),
      stateDir('also read the restore tests `backplan verify` journalled in D (rule no-restore-test)', 'none: no restore-test history is read'),
    ],
    examples: [
      ['backplan check site.backplan.yaml', 'every diagnostic with its line and column, then a summary'],
      ['backplan check --format sarif plans/*.backplan.yaml > backplan.sarif', 'the diagnostics of several plans as SARIF 2.1.0, for code scanning'],
    ],
    exitCodes: [
      [0, 'no plan has errors (warnings and notes may be printed)'],
      [1, 'at least one plan has errors'],
      [2, 'bad usage or an unreadable plan'],
    ],
    load: () => import('./check').then((m) => m.runCheck),
  },
  {
    name: 'plan',
    summary: 'the dry run: every step in order with its host and exact argv',
    args: 'PLAN',
    options: [job('only the steps of job J', 'every job'), format(['text', 'json'])],
    examples: [
      ['backplan plan site.backplan.yaml', 'every step of every job, in order, with its host and argv'],
      ['backplan plan site.backplan.yaml --job db-dump --format json', 'the steps of one job as JSON'],
    ],
    exitCodes: [
      [0, 'every job could be planned'],
      [1, 'the plan has errors, or a job cannot be planned'],
      [2, 'bad usage or an unreadable plan'],
    ],
    load: () => import('./plan').then((m) => m.runPlan),
  },
  {
    name: 'simulate',
    summary: 'the snapshot set each job will hold at a date, with the pruning engine\'s exact rules',
    args: 'PLAN',
    options: [
      job('only job J', 'every job'),
      { name: 'from', value: 'ISO', meaning: 'start of the simulated period (ISO 8601 date or time)', default: 'now' },
      { name: 'at', value: 'ISO', meaning: 'the date whose snapshot set is shown', default: 'from + horizon' },
      {
        name: 'horizon',
        value: 'DURATION',
        orWith: 'at',
        meaning: 'how far past --from to simulate (e.g. 90d, 18mo, 2y); not with --at',
        default: 'the longest age the policy keeps plus 10% (a year if it keeps something forever)',
      },
      { name: 'svg', value: 'FILE', meaning: 'also draw the timeline as SVG into FILE (FILE-JOB.svg for each job when there are several)', default: 'no drawing' },
      format(['text', 'json']),
    ],
    examples: [
      ['backplan simulate site.backplan.yaml --job vm-snapshots --horizon 2y', 'what vm-snapshots holds two years from now, with the rule that keeps each snapshot'],
      ['backplan simulate site.backplan.yaml --at 2027-06-01 --svg timeline.svg', 'every job\'s snapshot set on 1 June 2027, and its timeline drawn'],
    ],
    exitCodes: [
      [0, 'simulated'],
      [1, 'the plan has errors (listed on stderr)'],
      [2, 'bad usage (e.g. both --at and --horizon), an unreadable plan, or a period too long to simulate'],
    ],
    load: () => import('./simulate').then((m) => m.runSimulate),
  },
  {
    name: 'retain',
    summary: 'one pruning decision on a list of snapshots, with an engine\'s exact rules',
    args: '',
    options: [
      { name: 'engine', value: RETAIN_ENGINES.join('|'), required: true, meaning: 'the tool whose pruning rules decide' },
      { name: 'policy', value: 'YAML_OR_JSON', required: true, meaning: 'the retention policy inline (e.g. \'{keep: {daily: 7}}\') or the name of a file holding it' },
      {
        name: 'snapshots',
        value: 'FILE',
        required: true,
        meaning:
          'the snapshots: a JSON array of {time, tags?} ({time, name} for sanoid; for btrbk {name} alone, its date ' +
          'read from the name in any timestamp_format, with its _N) or one ISO time per line; ' +
          '- reads stdin',
      },
      { name: 'now', value: 'ISO', meaning: 'the time of the decision', default: 'the current time' },
      { name: 'timezone', value: 'ZONE', meaning: 'the IANA zone in which days, weeks and months are counted', default: 'UTC' },
      { name: 'tool-version', value: 'V', meaning: '--engine restic only: prune as that release does (before 0.16 no oldest snapshot is kept)', default: 'the current release\'s rules' },
      {
        name: 'side',
        value: 'snapshot|target',
        choices: ['snapshot', 'target'],
        meaning: '--engine btrbk only: the policy is snapshot_preserve* (a btrfs-snapshot) or target_preserve* (a btrfs-send)',
        default: 'snapshot',
      },
      {
        name: 'latest-common',
        value: 'ISO|NAME',
        meaning:
          '--engine btrbk only: the listed time or name of the latest common snapshot/backup pair, which btrbk ' +
          'always keeps',
        default: 'none',
      },
      format(['text', 'json']),
    ],
    examples: [
      ['backplan retain --engine restic --policy \'{keep: {daily: 7, weekly: 4}}\' --snapshots times.txt', 'which of the listed times restic would keep, and why'],
      ['backplan retain --engine borg --policy policy.yaml --snapshots - --now 2026-01-01 --format json < snapshots.json', 'borg\'s decision on a JSON list read from stdin, as JSON'],
    ],
    exitCodes: [
      [0, 'decided'],
      [2, 'bad usage: an unknown engine, a policy the engine cannot express, or an unreadable snapshot list'],
    ],
    load: () => import('./retain').then((m) => m.runRetain),
  },
  {
    name: 'run',
    summary: 'run the plan\'s backups for real (or --dry-run: print the steps, change nothing)',
    args: 'PLAN',
    options: [
      job('only job J', 'every enabled job'),
      { name: 'dry-run', short: 'n', meaning: 'print the steps in order and change nothing (no state directory, no lock)', default: 'off: run for real' },
      stateDir('where the run journal and the job locks are kept'),
      { name: 'progress', value: 'json', choices: ['json'], meaning: 'print every event as one JSON line on stdout as it happens', default: 'a progress line on stderr when it is a terminal' },
      format(['text', 'json']),
      breakStaleLock,
      { name: 'per-host', value: 'N', meaning: 'run at most N steps at a time on each host (1 to 64)', default: '1' },
      sshOption,
    ],
    examples: [
      ['backplan run site.backplan.yaml --dry-run', 'print every step the run would take; nothing is run or changed'],
      ['backplan run site.backplan.yaml --job db-dump --progress json', 'back up one job, its progress as JSON lines'],
    ],
    exitCodes: [
      [0, 'every job succeeded'],
      [1, 'the plan has errors, or a job failed (or was skipped because its prerequisite failed)'],
      [2, 'bad usage or an unreadable plan'],
    ],
    changesThings: (o) => !o['dry-run'],
    load: () => import('./run').then((m) => m.runRun),
  },
  {
    name: 'prune',
    summary: 'apply a job\'s retention to its live copies now (--dry-run: list what it would remove)',
    args: 'PLAN',
    options: [
      job('the job whose copies are pruned', undefined),
      { name: 'dry-run', short: 'n', meaning: 'list the copies the policy would remove (and why the others are kept); change nothing', default: 'off: remove them' },
      stateDir('where the journal and the job locks are kept'),
      format(['text', 'json']),
      breakStaleLock,
      sshOption,
    ],
    examples: [
      ['backplan prune site.backplan.yaml --job db-dump --dry-run', 'the copies of db-dump the policy would remove, and the rule keeping each other one'],
      ['backplan prune site.backplan.yaml --job db-dump', 'remove them now, journalled'],
    ],
    exitCodes: [
      [0, 'pruned (or, with --dry-run, listed)'],
      [1, 'the plan has errors, the job is locked, or a copy could not be removed'],
      [2, 'bad usage or an unreadable plan'],
    ],
    changesThings: (o) => !o['dry-run'],
    load: () => import('./prune').then((m) => m.runPrune),
  },
  {
    name: 'verify',
    summary: 'restore test: an archive into a scratch directory against its sha256 manifest, a dump into a scratch database against the source\'s row counts',
    args: 'PLAN',
    options: [
      job('the job whose copy is restored', undefined),
      { name: 'copy', value: 'NAME', meaning: 'the copy to restore', default: 'the newest' },
      { name: 'scratch-dir', value: 'D', meaning: 'where an archive is restored (then removed)', default: 'the system\'s temporary directory ($TMPDIR or /tmp)' },
      stateDir('where the journal (read by `backplan check --state-dir`) and the job locks are kept'),
      format(['text', 'json']),
      breakStaleLock,
      sshOption,
    ],
    examples: [
      ['backplan verify site.backplan.yaml --job docs-archive', 'restore the newest copy and compare every file with its manifest'],
      ['backplan verify site.backplan.yaml --job db-dump --format json', 'restore the newest dump into a scratch database, compare every table\'s row count with the source, as JSON'],
    ],
    exitCodes: [
      [0, 'the copy was restored and matches'],
      [1, 'the plan has errors, the restore failed, or the copy does not match'],
      [2, 'bad usage or an unreadable plan'],
    ],
    changesThings: () => true,
    load: () => import('./verify').then((m) => m.runVerify),
  },
  {
    name: 'init',
    summary: 'create what the jobs write into before their first run: restic and borg repositories, zfs-send parent datasets, receive and storage directories (what exists is left alone)',
    args: 'PLAN',
    options: [
      job('only job J (and the jobs `backplan run --job J` runs with it)', 'every enabled job'),
      { name: 'dry-run', short: 'n', meaning: 'print every check and creation with its host and argv; read and change nothing (no state directory, no lock)', default: 'off: create what is missing' },
      stateDir('where the journal and the job locks are kept'),
      format(['text', 'json']),
      breakStaleLock,
      sshOption,
    ],
    examples: [
      ['backplan init site.backplan.yaml --dry-run', 'what init would check and create for every job, with hosts and argv; nothing is run'],
      ['backplan init site.backplan.yaml --job home-restic', 'restic init of the job\'s repository, unless it is already there'],
    ],
    exitCodes: [
      [0, 'everything the jobs write into exists (created now or already there); with --dry-run, every job could be planned'],
      [1, 'the plan has errors, a job is locked, or something could not be checked or created'],
      [2, 'bad usage or an unreadable plan'],
    ],
    changesThings: (o) => !o['dry-run'],
    load: () => import('./init').then((m) => m.runInit),
  },
  {
    name: 'status',
    summary: 'the state of each job from the journals (last run, last success, age against its rpo, last restore test); --live also lists the real copies',
    args: 'PLAN',
    options: [
      stateDir('where the journals are read (nothing else is read; no host is contacted without --live)'),
      { name: 'live', meaning: 'also list every job\'s real copies where they are stored (read-only, over ssh for remote storage) and report the drift from what the plan projects', default: 'off: the journals only' },
      job('only job J', 'every job'),
      format(['text', 'json', 'nagios', 'prometheus']),
      sshOption,
    ],
    examples: [
      ['backplan status site.backplan.yaml', 'one line per job, worst first: ok, late, failed, never or disabled'],
      ['backplan status site.backplan.yaml --format nagios', 'one Monitoring Plugins line with perfdata, exit 0/1/2/3 for Nagios or Icinga'],
    ],
    exitCodes: [
      [0, 'every job is ok or disabled (--format nagios: OK)'],
      [1, 'a job is late, failed or never succeeded, or with --live its copies differ from the plan (--format nagios: 1 WARNING, 2 CRITICAL, 3 UNKNOWN)'],
      [2, 'bad usage, an unreadable plan or an unreadable state directory'],
    ],
    load: () => import('./status').then((m) => m.runStatus),
  },
  {
    name: 'restore',
    summary: 'restore a copy of a job for real: to a new place (--to), or over its own data after moving that aside (--in-place --yes); never overwrites',
    args: 'PLAN',
    options: [
      job('the job whose copy is restored', undefined),
      {
        name: 'copy',
        value: 'NAME',
        meaning:
          'the copy to restore (a file or directory name, a restic snapshot id, a borg archive name, a Velero ' +
          'backup, an OpenStack run\'s image or snapshot name, a vzdump archive)',
        default: 'the newest good copy',
      },
      { name: 'at', value: 'ISO', orWith: 'copy', meaning: 'the newest copy taken at or before this time; not with --copy', default: 'the newest good copy' },
      {
        name: 'to',
        value: 'TARGET',
        meaning:
          'where to restore: a directory that does not exist or is empty (on the host the job\'s tool runs on), ' +
          'or for pg-dump and mysql-dump a database that does not exist or is empty; for velero a namespace ' +
          '(OLD:NEW,... for several), for openstack-image the new server or volume name, for vzdump a free guest id; ' +
          'without --path, a new dataset for zfs (POOL/FS), a new path for btrfs, a new instance for incus ' +
          '(NAME or REMOTE:NAME)',
        default: 'none: give --to or --in-place',
      },
      { name: 'in-place', orWith: 'to', meaning: 'restore over the job\'s own paths (or database): the current data is first moved aside to NAME.before-restore-<UTC stamp> (a database: renamed NAME_before_restore_<stamp>); needs --yes', default: 'off: --to is required' },
      { name: 'path', value: 'P', multiple: true, meaning: 'restore only this absolute path of the copy (repeatable; files kinds only)', default: 'the whole copy' },
      {
        name: 'from-storage',
        value: 'S',
        meaning:
          'read the copy from storage S (the job\'s own, or one holding a replica: an rsync, zfs-send, btrfs-send ' +
          'or incus-copy job with from: J; a snapshot job without a storage goes by its host)',
        default: 'the job\'s own storage, then any replica when the copy is gone there',
      },
      { name: 'dry-run', short: 'n', meaning: 'print the chosen copy and every step with its host and exact argv; change nothing (no lock, no journal)', default: 'off: restore' },
      { name: 'yes', meaning: 'confirm an --in-place restore (there is no prompt)', default: 'off: --in-place is refused' },
      {
        name: 'list',
        meaning: 'list the copies a restore of the job can read, newest first, and restore nothing (no --to or --copy)',
        default: 'off: restore',
      },
      stateDir('where the journal (the measured restore time) and the job locks are kept'),
      format(['text', 'json']),
      breakStaleLock,
      sshOption,
    ],
    examples: [
      ['backplan restore site.backplan.yaml --job docs-archive --to /srv/restore/docs', 'the newest copy into a new directory, every file checked against the manifest first'],
      ['backplan restore site.backplan.yaml --job app-db --at 2026-03-01T12:00Z --in-place --yes', 'rename the live database aside and restore the last dump taken before noon on 1 March under its name'],
    ],
    exitCodes: [
      [0, 'the copy was restored (or, with --dry-run, the steps were listed)'],
      [1, 'the plan has errors, the job is locked, the target is not empty, no copy matches, or the restore (or a hook) failed; the target is left as it was'],
      [2, 'bad usage or an unreadable plan'],
    ],
    changesThings: (o) => !o['dry-run'],
    load: () => import('./restore').then((m) => m.runRestore),
  },
  {
    name: 'runbook',
    summary: 'the disaster-recovery runbook: per host that can be lost, what is lost, where the copies are, the restore order with each step\'s argv, the secrets by name; what cannot be recovered first',
    args: 'PLAN',
    options: [
      { name: 'lost', value: 'HOST', multiple: true, meaning: 'a chapter for this host only (repeatable)', default: 'a chapter for every host of the plan' },
      stateDir('also read the journals in D: the newest copy\'s age against the rpo, the last measured restore against the rto', 'none: ages and restore times are left unknown'),
      { name: 'at', value: 'ISO', meaning: 'write the runbook as of this time (ages are counted to it; the output is then the same on every run)', default: 'now, said in a "generated at" header line' },
      { name: 'format', short: 'f', value: 'markdown|html|json', choices: ['markdown', 'html', 'json'], meaning: 'output format (html: one standalone page for printing)', default: 'markdown' },
      { name: 'out', value: 'FILE', meaning: 'write the runbook into FILE (atomically: a temporary file renamed over it)', default: 'standard output' },
    ],
    examples: [
      ['backplan runbook site.backplan.yaml --out RUNBOOK.md', 'the whole runbook as Markdown, one chapter per host'],
      ['backplan runbook site.backplan.yaml --lost scylla --state-dir /var/lib/backplan --format html --out scylla.html', 'the printable page for losing scylla, with copy ages and measured restore times'],
    ],
    exitCodes: [
      [0, 'the runbook was written'],
      [1, 'the plan has errors'],
      [2, 'bad usage (an unknown --lost host, a bad --at), an unreadable plan, or --out cannot be written'],
    ],
    load: () => import('./runbook').then((m) => m.runRunbook),
  },
  {
    name: 'export',
    summary: 'hand the plan\'s schedules to native schedulers (systemd timers, cron, Incus, sanoid, Velero, borgmatic, btrbk)',
    args: 'PLAN',
    options: [
      { name: 'to', value: EXPORT_TARGETS.join('|'), required: true, meaning: 'the scheduler to write files for' },
      job('only job J', 'every enabled job'),
      { name: 'command', value: 'PATH', meaning: 'how the scheduler calls Backplan', default: 'backplan' },
      format(['text', 'json']),
    ],
    examples: [
      ['backplan export site.backplan.yaml --to systemd', 'a .service and a .timer per job, each under a header naming its host and path'],
      ['backplan export site.backplan.yaml --to cron --command /usr/local/bin/backplan', 'crontab lines that call Backplan by that path'],
    ],
    exitCodes: [
      [0, 'every job the target handles was exported (nothing is written or run)'],
      [1, 'the plan has errors, or a job cannot be expressed for the target'],
      [2, 'bad usage or an unreadable plan'],
    ],
    load: () => import('./export').then((m) => m.runExport),
  },
];

/** The command of this name, or undefined. */
export function findCommand(name: string): CommandDecl | undefined {
  return COMMANDS.find((c) => c.name === name);
}
