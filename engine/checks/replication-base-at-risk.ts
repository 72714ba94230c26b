// An incremental send (zfs-send, btrfs-send, incus-copy: the kinds that copy from a `from` job)
// needs the newest snapshot common to both sides as its base: the source's newest snapshot at the
// time of the last send. If the source's retention deletes it before the next send, that send
// has no base and must copy everything again (or fails).
//
// Decision on engines: when Backplan prunes the source itself (engine `native`: zfs, btrfs and
// incus snapshots with keep/tiers policies), the runner never prunes the base on either side
// (SPEC §8.4), so the rule stays quiet whatever the policy says. sanoid keeps no base either:
// a `pruner: sanoid` send from a `pruner: sanoid` source is replayed with it over the year
// (sanoidBaseLoss), and the rule fires exactly when sanoid's age rule (count × period) deletes the
// snapshot the next send starts from. btrbk keeps the base itself: a `pruner: btrbk` send is the
// target of its source's btrbk section, and btrbk forces the latest common snapshot/backup pair on
// both sides before any delete (retention/btrbk-send.ts), so such a pair is never at risk here (a
// btrbk source sent by Backplan is refused by retention-unsupported). Only a source pruned by a
// daemon that knows nothing about replication can lose the base: Incus `snapshots.expiry` (an
// incus-snapshot job whose policy is expiry-only) and Velero's ttl. restic, borg and PBS outputs
// are not snapshots these kinds send from, and are not checked.
//
// For every enabled copy job C of those kinds with `from: X` (X enabled, both with a valid
// schedule), over the year after ctx.now, DST included: for each send c_k, its base b is the
// newest X run at or before it (at the same minute only when C lists X in `after` or follows it:
// no schedule of its own); the base is at risk when it expires at or before the next send
// c_k+1. Error on X's expiry (see policySite),
// with C's schedule as related information; the message gives the expiry and the longest time a
// base must survive.
import { jobPolicy } from '../plan/build-model';
import type { JobModel } from '../plan/model';
import { kindInfo } from '../kinds';
import { sanoidEngine, sanoidCounts, frequentPeriod, type SanoidType } from '../retention/sanoid';
import { replaySanoidSend } from '../simulate/sanoid-send';
import type { Fix } from '../findings';
import { ENGINE_WORDS, jobExpiry, policySite, policyUsers, roomyDuration } from './shared/policies';
import { firesOf, firstAfter, jobScheduleOf, localText, longestOf, spanText } from './shared/schedules';
import { dedupe, replaceValueFix } from './shared/values';
import type { CheckContext, Rule, RuleFinding } from './rule';

const PERIOD_MIN: Record<Exclude<SanoidType, 'frequently'>, number> = {
  hourly: 60,
  daily: 1440,
  weekly: 7 * 1440,
  monthly: 31 * 1440,
  yearly: 365.25 * 1440,
};

/**
 * A `pruner: sanoid` send from a `pruner: sanoid` source: both sides replayed over the year
 * (simulate/sanoid-send.ts, as `simulate` and the run do); an error when sanoid's age rule on
 * the source deletes the snapshot the next send must start from.
 */
function sanoidBaseLoss(ctx: CheckContext, copy: JobModel, source: JobModel): RuleFinding | undefined {
  const srcPolicy = jobPolicy(ctx.model, source);
  const dstPolicy = jobPolicy(ctx.model, copy);
  if (!srcPolicy || !dstPolicy) return undefined;
  // A policy sanoid cannot express is retention-unsupported's finding.
  if (sanoidEngine.unsupported(srcPolicy).length || sanoidEngine.unsupported(dstPolicy).length) return undefined;
  const cs = jobScheduleOf(ctx, copy);
  const xs = jobScheduleOf(ctx, source);
  if (!cs || !xs) return undefined;
  const sourceRuns = Array.from(firesOf(ctx, xs.schedule));
  const sendRuns = Array.from(firesOf(ctx, cs.schedule));
  const at = Math.max(sourceRuns[sourceRuns.length - 1] ?? 0, sendRuns[sendRuns.length - 1] ?? 0);
  const r = replaySanoidSend({ sourceRuns, sendRuns, source: srcPolicy, target: dstPolicy, zone: xs.zone, at });
  const lost = r.lost;
  if (!lost) return undefined;
  const type = lost.base.type;
  const n = sanoidCounts(srcPolicy)[type];
  const minutes = type === 'frequently' ? frequentPeriod(srcPolicy)! : PERIOD_MIN[type];
  // sanoid prunes only snapshots older than count × period: a count that covers the wait keeps it.
  const need = Math.ceil((lost.next - lost.base.time) / 60_000 / minutes);
  const site = policySite(ctx, source, ['keep', type], 'key');
  const zone = xs.zone;
  return {
    range: site.range,
    message:
      `sanoid prunes \`${source.name}\` without regard for replication, and deletes the ` +
      `${lost.base.name} snapshot (sent by \`${copy.name}\` at ${localText(lost.sent, zone)}) at ` +
      `${localText(lost.pruned, zone)}, before the next send at ${localText(lost.next, zone)} (${zone}), which then ` +
      `has no common base and fails; keep more ${type} snapshots on the source (${type}: ${need} or more, now ` +
      `${n}), or send more often`,
    related: [
      { message: `schedule of \`${cs.owner ?? copy.name}\``, range: ctx.locate(cs.schedulePath, 'value') },
      ...site.related,
    ],
  };
}

export const rule: Rule = {
  id: 'replication-base-at-risk',
  defaultSeverity: 'error',
  summary: "The source's retention can prune the last common snapshot before the next send.",
  check(ctx) {
    const out: RuleFinding[] = [];
    for (const copy of ctx.model.jobs.values()) {
      if (!copy.enabled || copy.from === undefined || copy.from === copy.name) continue;
      if (!kindInfo(copy.kind)?.copiesFrom) continue;
      const source = ctx.model.jobs.get(copy.from);
      if (!source || !source.enabled) continue;
      if (copy.kind === 'zfs-send' && source.raw.pruner === 'sanoid' && copy.raw.pruner === 'sanoid') {
        const f = sanoidBaseLoss(ctx, copy, source);
        if (f) out.push(f);
        continue;
      }
      const expiry = jobExpiry(ctx, source);
      if (!expiry || expiry.engine === 'native') continue;
      const cs = jobScheduleOf(ctx, copy);
      const xs = jobScheduleOf(ctx, source);
      if (!cs || !xs) continue;
      // A base never has to survive longer than one source interval plus one send interval.
      const copyStats = longestOf(ctx, cs.schedule);
      const sourceStats = longestOf(ctx, xs.schedule);
      if (!copyStats || !sourceStats || copyStats.ms + sourceStats.ms < expiry.deadline.minMs) continue;

      // A copy that follows its source (no schedule of its own) runs right after it, in its run.
      const sameRun = copy.after.includes(source.name) || cs.owner !== undefined;
      const sends = firesOf(ctx, cs.schedule);
      const snaps = firesOf(ctx, xs.schedule);
      let worst: { age: number; base: number; sent: number; next: number } | undefined;
      for (let k = 0; k + 1 < sends.length; k++) {
        const sent = sends[k];
        const next = sends[k + 1];
        // Index of the newest snapshot at (or, with `after`, at the same minute as) the send.
        const i = firstAfter(snaps, sent, !sameRun) - 1;
        if (i < 0) continue;
        const base = snaps[i];
        if (expiry.deadline.at(base) > next) continue;
        if (!worst || next - base > worst.age) worst = { age: next - base, base, sent, next };
      }
      if (!worst) continue;
      const site = policySite(ctx, source, ['expiry']);
      const age = spanText(worst.age);
      const zone = cs.zone;
      // the fix sets an expiry comfortably longer than the age the base must reach
      const longer = roomyDuration(worst.age, expiry.engine === 'velero');
      const onPolicy = typeof source.retention === 'string' ? source.retention : undefined;
      const at = site.onPart ? site.range : ctx.locate(['policies', onPolicy!, 'expiry'], 'value');
      const others = onPolicy
        ? policyUsers(ctx, onPolicy)
            .filter((j) => j.name !== source.name)
            .map((j) => `\`${j.name}\``)
        : [];
      const shared = others.length > 0 ? `, in policy \`${onPolicy}\` also used by ${others.join(', ')}` : '';
      const written = ctx.text.slice(at.start, at.end).replace(/^["']|["']$/g, '').trim();
      const fixes: Fix[] = expiry.isDefault || written !== expiry.text ? [] : [
        replaceValueFix(
          ctx.text,
          at,
          longer,
          `Change expiry to \`${longer}\` (longer than ${age})${shared}`,
          others.length === 0,
        ),
      ];
      out.push({
        range: site.range,
        message:
          `${ENGINE_WORDS[expiry.engine]} deletes the snapshots of \`${source.name}\` ${expiry.text} after they are taken, without regard ` +
          `for replication, but job \`${copy.name}\` (${cs.text}) needs its last sent snapshot for ${age}: the ` +
          `${localText(worst.base, zone)} snapshot, sent at ${localText(worst.sent, zone)}, is gone before the next send at ` +
          `${localText(worst.next, zone)} (${zone}), which then has no common base and must copy everything again; ` +
          `make the expiry longer than ${age}, or send more often`,
        related: [{ message: `schedule of \`${cs.owner ?? copy.name}\``, range: ctx.locate(cs.schedulePath, 'value') }, ...site.related],
        ...(fixes.length > 0 ? { fixes } : {}),
      });
    }
    return dedupe(out);
  },
};
