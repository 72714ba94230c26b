// Every rule of SPEC §6, in the order of the table (job-not-runnable last: it reads what the
// rules before it report, so as not to repeat them).
import { rule as r_yaml_syntax } from './yaml-syntax';
import { rule as r_schema } from './schema';
import { rule as r_cron_invalid } from './cron-invalid';
import { rule as r_duration_invalid } from './duration-invalid';
import { rule as r_unknown_reference } from './unknown-reference';
import { rule as r_dependency_cycle } from './dependency-cycle';
import { rule as r_expiry_gap } from './expiry-gap';
import { rule as r_expiry_before_copy } from './expiry-before-copy';
import { rule as r_autostart_on_standby } from './autostart-on-standby';
import { rule as r_coverage_3_2_1 } from './coverage-3-2-1';
import { rule as r_snapshot_not_backup } from './snapshot-not-backup';
import { rule as r_rpo_exceeded } from './rpo-exceeded';
import { rule as r_retention_invalid } from './retention-invalid';
import { rule as r_retention_unsupported } from './retention-unsupported';
import { rule as r_retention_too_short } from './retention-too-short';
import { rule as r_replication_base_at_risk } from './replication-base-at-risk';
import { rule as r_db_without_dump } from './db-without-dump';
import { rule as r_dst_schedule } from './dst-schedule';
import { rule as r_no_restore_test } from './no-restore-test';
import { rule as r_capacity_exceeded } from './capacity-exceeded';
import { rule as r_secret_inline } from './secret-inline';
import { rule as r_offsite_unencrypted } from './offsite-unencrypted';
import { rule as r_unused } from './unused';
import { rule as r_job_not_runnable } from './job-not-runnable';
import { rule as r_backup_late } from './backup-late';
import { rule as r_notify_invalid } from './notify-invalid';
import { rule as r_rto_exceeded } from './rto-exceeded';
import { rule as r_accept_invalid } from './accept-invalid';
import { rule as r_path_missing } from './path-missing';
import { rule as r_duplicity_rpo_gap } from './duplicity-rpo-gap';
import { rule as r_duplicity_full_window } from './duplicity-full-window';
import type { Rule } from './rule';

export const RULES: readonly Rule[] = [
  r_yaml_syntax,
  r_schema,
  r_cron_invalid,
  r_duration_invalid,
  r_unknown_reference,
  r_dependency_cycle,
  r_expiry_gap,
  r_expiry_before_copy,
  r_autostart_on_standby,
  r_coverage_3_2_1,
  r_snapshot_not_backup,
  r_rpo_exceeded,
  r_retention_invalid,
  r_retention_unsupported,
  r_retention_too_short,
  r_replication_base_at_risk,
  r_db_without_dump,
  r_dst_schedule,
  r_no_restore_test,
  r_capacity_exceeded,
  r_secret_inline,
  r_offsite_unencrypted,
  r_unused,
  r_job_not_runnable,
  r_backup_late,
  r_notify_invalid,
  r_rto_exceeded,
  r_accept_invalid,
  r_path_missing,
  r_duplicity_rpo_gap,
  r_duplicity_full_window,
];
