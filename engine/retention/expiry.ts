// Engines where each snapshot carries its own deadline: Incus `snapshots.expiry` and Velero
// `ttl`. A snapshot is removed once its deadline is reached (deadline ≤ now); nothing else is
// pruned. The simulator applies this continuously; the real daemons check periodically (Velero's
// garbage collector every hour by default), so a real deletion may lag the deadline by up to
// that period.
//
// Incus (incusd pruneExpiredAndAutoCreateInstanceSnapshotsTask, the same in LXD 5.0): one task,
// run once a minute, first deletes every snapshot whose expires_at has passed, then takes the
// snapshots whose `snapshots.schedule` matches that minute; a scheduled snapshot is stamped
// expires_at = its creation instant + expiry, a few milliseconds after the run began. So a
// snapshot expiring exactly one interval after it was taken is deleted in the run that takes
// the next one, or one minute later: the instance is never without a snapshot, and the
// simulator (deletion at the deadline, the fire's creation in the same instant counted first)
// holds 1 throughout, as expiry-gap, which fires for Incus only when expiry is shorter than the
// interval, agrees. A snapshot Backplan takes itself (`incus snapshot create`) is stamped the
// same way (snapshots.expiry, or Incus's snapshots.expiry.manual when set) and deleted by the
// next run of the task after its deadline: up to a minute late.
//
// Incus computes the deadline at creation with Go's AddDate on the daemon's local time:
// created.AddDate(y, m, d + 7·w) + H hours + M minutes. Years, months, weeks and days are
// therefore calendar units in the server's zone (1d across a DST change is 23 or 25 hours, and
// Jan 31 + 1 month normalises to Mar 3 rather than clamping), hours and minutes fixed lengths.
// Its expiry syntax is space-separated `<n><unit>` fields with units S (seconds), M (minutes),
// H (hours), d, w, m (months), y; the driver writes our `1y2mo3d4h30min` as `1y 2m 3d 4H 30M`
// (toIncusExpiry): note that Incus's `M` is minutes and `m` months, the reverse of a common
// reading.
//
// Velero's ttl is a Go time.Duration (`720h0m0s`): a fixed length, so weeks and days are 7×24 and
// 24 hours whatever DST does, and months and years, which have no fixed length, cannot be written
// at all: unsupported() reports them instead of guessing a month length. A Velero backup created
// without ttl gets the server's default, 720h (30 days).
import type { PolicyModel } from '../plan/model';
import { formatDuration, isZero, type Duration } from '../time/duration';
import { goAddDate, HOUR, MINUTE, DAY, formatLocal } from './calendar';
import { decide, hasExpiry, hasTiers, keepOf, policyDuration, sortNewestFirst, unsupportedKeep } from './common';
import type { RetentionContext, RetentionDecision, RetentionEngine, SnapshotIn, Unsupported } from './types';

/** Our duration in Incus's `snapshots.expiry` syntax, e.g. `1y 2m 3d 4H 30M`. */
export function toIncusExpiry(d: Duration): string {
  if (isZero(d)) throw new RangeError('a zero expiry cannot be written for Incus (an empty value means "never expires")');
  const fields: [number, string][] = [
    [d.y, 'y'],
    [d.mo, 'm'],
    [d.w, 'w'],
    [d.d, 'd'],
    [d.h, 'H'],
    [d.min, 'M'],
  ];
  return fields
    .filter(([n]) => n !== 0)
    .map(([n, u]) => `${n}${u}`)
    .join(' ');
}

/** The instant Incus expires a snapshot created at `created` (see the header). */
export function incusExpiresAt(created: number, d: Duration, zone: string): number {
  return goAddDate(created, d.y, d.mo, d.d + 7 * d.w, zone) + d.h * HOUR + d.min * MINUTE;
}

/** True when the duration can be a Go time.Duration (no months or years). */
export function isFixedDuration(d: Duration): boolean {
  return d.y === 0 && d.mo === 0;
}

/** Our duration as a Velero ttl (Go's time.Duration text, e.g. `720h0m0s`); throws for months/years. */
export function toVeleroTtl(d: Duration): string {
  if (!isFixedDuration(d)) {
    throw new RangeError(`\`${formatDuration(d)}\` has months or years, which a Velero ttl (a Go duration in hours) cannot express`);
  }
  const minutes = ((d.w * 7 + d.d) * 24 + d.h) * 60 + d.min;
  if (minutes === 0) return '0s';
  const h = Math.floor(minutes / 60);
  const m = minutes % 60;
  return h > 0 ? `${h}h${m}m0s` : `${m}m0s`;
}

/** Velero's default ttl when a backup names none. */
export const VELERO_DEFAULT_TTL: Duration = { y: 0, mo: 0, w: 0, d: 30, h: 0, min: 0 };

/** The instant Velero's garbage collector may delete a backup created at `created`. */
export function veleroExpiresAt(created: number, d: Duration): number {
  return created + d.w * 7 * DAY + d.d * DAY + d.h * HOUR + d.min * MINUTE;
}

function expiryDecision(
  snapshots: readonly SnapshotIn[],
  ctx: RetentionContext,
  deadline: ((created: number) => number) | undefined,
  extra: string[],
): RetentionDecision {
  const sorted = sortNewestFirst(snapshots);
  const reasons = new Map<number, string[]>();
  sorted.forEach((s, i) => {
    if (!deadline) {
      reasons.set(i, ['no expiry: never deleted']);
      return;
    }
    const at = deadline(s.time);
    if (at > ctx.now) reasons.set(i, [`expires ${formatLocal(at, ctx.timezone)}`, ...extra]);
  });
  return decide(sorted, reasons);
}

function notExpiryForms(policy: PolicyModel, engine: string): Unsupported[] {
  const out = unsupportedKeep(keepOf(policy), engine, 'it only deletes each snapshot at creation + `expiry`');
  if (hasTiers(policy)) {
    out.push({ key: ['tiers'], message: `${engine} has no age bands (\`tiers\`): it only deletes each snapshot at creation + \`expiry\`` });
  }
  return out;
}

export const incusEngine: RetentionEngine = {
  id: 'incus',
  unsupported(policy) {
    return notExpiryForms(policy, 'Incus snapshots.expiry');
  },
  evaluate(snapshots, policy, ctx) {
    const d = hasExpiry(policy) ? policyDuration(policy.expiry, ['expiry']) : undefined;
    return expiryDecision(snapshots, ctx, d ? (t) => incusExpiresAt(t, d, ctx.timezone) : undefined, []);
  },
};

export const veleroEngine: RetentionEngine = {
  id: 'velero',
  unsupported(policy) {
    const out = notExpiryForms(policy, 'Velero ttl');
    if (hasExpiry(policy)) {
      let d: Duration | undefined;
      try {
        d = policyDuration(policy.expiry, ['expiry']);
      } catch {
        d = undefined; // duration-invalid reports it
      }
      if (d && !isFixedDuration(d)) {
        out.push({
          key: ['expiry'],
          message: 'a Velero ttl is a Go duration in hours: months and years have no fixed length; write the expiry in days or weeks (e.g. `30d`)',
        });
      }
    }
    return out;
  },
  evaluate(snapshots, policy, ctx) {
    const given = hasExpiry(policy) ? policyDuration(policy.expiry, ['expiry']) : undefined;
    if (given && !isFixedDuration(given)) throw new RangeError(toVeleroTtlMessage(given));
    const d = given ?? VELERO_DEFAULT_TTL;
    const extra = given ? [] : [`Velero's default ttl ${toVeleroTtl(VELERO_DEFAULT_TTL)}`];
    return expiryDecision(snapshots, ctx, (t) => veleroExpiresAt(t, d), extra);
  },
};

function toVeleroTtlMessage(d: Duration): string {
  return `expiry \`${formatDuration(d)}\` has months or years, which a Velero ttl cannot express`;
}
