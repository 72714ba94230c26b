// A retention form that the job's pruning engine cannot express is an error, never a silent
// approximation (SPEC §3). For every job with a policy, the engine that prunes it
// (engineForJob: the kind, and the tool version its host declares) lists what it cannot express; each item becomes a finding:
//
// - inline policy: on the key at fault under the job's `retention` (the value when it is the
//   value that is wrong: a tier's `every`, a Velero expiry in months);
// - named policy that every job using it fails on the same way: on the key in the policy (the
//   policy is what to change), naming the jobs, with their `retention` values as related info
//   (one finding per engine, each in that engine's words);
// - named policy that other jobs use fine (their engines can express it): on this job's
//   `retention` value (choose another policy for this job), with the policy's key as related info.
// A `pruner` tool named on a kind it does not prune here (sanoid on a zfs-send, btrbk on a
// btrfs-send) would leave the job pruned by Backplan's rules while the plan says the tool's: an
// error on the `pruner` value. So is a btrbk pair btrbk cannot run as written (a btrbk send from a
// source btrbk does not snapshot, a Backplan send from one it does), and btrbk's own terms
// (`preserve`, `preserve_min` ...) on a job another engine prunes.
import { btrbkPairProblem } from '../export/btrbk';
import type { OffsetRange, RelatedInfo } from '../findings';
import { jobPolicy } from '../plan/build-model';
import type { JobModel, PlanModel, PolicyModel, YamlPath } from '../plan/model';
import { engineForJob, engineIdFor, PRUNER_KINDS, type EngineId } from '../retention/index';
import { sanoidCounts, SANOID_TYPES } from '../retention/sanoid';
import type { Unsupported } from '../retention/types';
import { policyUsers } from './shared/policies';
import { dedupe } from './shared/values';
import type { CheckContext, Rule, RuleFinding } from './rule';

/** Whether the finding points at the key at fault or at its value. */
function partFor(u: Unsupported, engine: EngineId): 'key' | 'value' {
  if (u.key.some((k) => typeof k === 'number')) return 'value';
  if (engine === 'velero' && u.key.length === 1 && u.key[0] === 'expiry') return 'value';
  return 'key';
}

/** btrbk's own terms, which only a `pruner: btrbk` job reads: any other engine would drop them. */
const BTRBK_TERMS = ['preserve', 'preserve_min', 'preserve_day_of_week', 'preserve_hour_of_day'];

function unsupportedFor(plan: PlanModel, job: JobModel, policy: PolicyModel): { engine: EngineId; items: Unsupported[] } {
  const engine = engineForJob(plan, job, policy);
  const foreign: Unsupported[] =
    engine.id === 'btrbk'
      ? []
      : BTRBK_TERMS.filter((k) => policy.raw?.[k] !== undefined).map((k) => ({
          key: [k],
          message: `\`${k}\` is btrbk's (pruner: btrbk on a btrfs job); the ${engine.id} engine would ignore it`,
        }));
  return { engine: engineIdFor(job.kind, policy), items: [...engine.unsupported(policy), ...foreign] };
}

const sameKey = (a: readonly (string | number)[], b: readonly (string | number)[]): boolean =>
  a.length === b.length && a.every((x, i) => String(x) === String(b[i]));

function keyRange(ctx: CheckContext, base: YamlPath, u: Unsupported, engine: EngineId): OffsetRange {
  // An empty key (borg: no rule at all) points at the policy itself: its key.
  return u.key.length === 0 ? ctx.locate(base, 'key') : ctx.locate([...base, ...u.key], partFor(u, engine));
}

/**
 * sanoid types a snapshot by its name: a `pruner: sanoid` zfs-send prunes only a sanoid source's
 * snapshots, and a sanoid source's typed snapshots (several a run) are pruned by type only by sanoid.
 */
function sanoidPairing(ctx: CheckContext, job: JobModel): RuleFinding[] {
  if (job.kind !== 'zfs-send' || job.from === undefined) return [];
  const src = ctx.model.jobs.get(job.from);
  if (!src || src.kind !== 'zfs-snapshot') return [];
  const srcSanoid = src.raw.pruner === 'sanoid';
  if (job.raw.pruner === 'sanoid' && !srcSanoid) {
    return [{
      range: ctx.locate([...job.at, 'pruner'], 'value'),
      message:
        `job \`${job.name}\`: sanoid prunes only the snapshots it types by name (autosnap_<date>_<type>), and ` +
        `\`${src.name}\` names its own Backplan's way: sanoid would never prune this target; add \`pruner: sanoid\` ` +
        `to \`${src.name}\` too, or remove \`pruner\` here`,
    }];
  }
  if (srcSanoid && job.raw.pruner !== 'sanoid') {
    const at = job.raw.pruner !== undefined ? [...job.at, 'pruner'] : [...job.at, 'from'];
    return [{
      range: ctx.locate(at, 'value'),
      message:
        `job \`${job.name}\`: its source \`${src.name}\` is pruned by sanoid, which takes several typed snapshots ` +
        'a run (autosnap_<date>_<type>) and keeps no replication base: add `pruner: sanoid` so sanoid prunes this ' +
        'target by the same types',
    }];
  }
  // The target receives only the types the source takes (a count above 0 there).
  // A source without a known policy (none, or an unknown name: unknown-reference says so) takes types
  // nobody can tell yet: nothing to say about them here.
  const srcPolicy = jobPolicy(ctx.model, src);
  if (!srcPolicy) return [];
  const mine = sanoidCounts(jobPolicy(ctx.model, job));
  const theirs = sanoidCounts(srcPolicy);
  const missing = SANOID_TYPES.filter((t) => mine[t] > 0 && !(theirs[t] > 0));
  if (job.raw.pruner !== 'sanoid' || !srcSanoid || missing.length === 0) return [];
  const policy = jobPolicy(ctx.model, job)!;
  return missing.map((t) => ({
    range: keyRange(ctx, policy.at, { key: ['keep', t], message: '' }, 'sanoid'),
    message:
      `job \`${job.name}\` keeps \`${t}: ${mine[t]}\` but receives no ${t} snapshot: sanoid on \`${src.name}\` ` +
      `takes only the types it keeps (${t}: 0 there); give \`${src.name}\` \`${t}: 1\` or more`,
  }));
}

export const rule: Rule = {
  id: 'retention-unsupported',
  defaultSeverity: 'error',
  summary: "A retention form that the job's pruning engine cannot express.",
  check(ctx) {
    const out: RuleFinding[] = [];
    const cache = new Map<JobModel, { engine: EngineId; items: Unsupported[] }>();
    const of = (j: JobModel, policy: PolicyModel) => {
      let r = cache.get(j);
      if (!r) cache.set(j, (r = unsupportedFor(ctx.model, j, policy)));
      return r;
    };
    for (const job of ctx.model.jobs.values()) {
      const pruner = job.raw.pruner;
      if (typeof pruner === 'string' && PRUNER_KINDS[pruner] && !PRUNER_KINDS[pruner].includes(job.kind)) {
        const kinds = PRUNER_KINDS[pruner].map((k) => `\`${k}\``).join(', ');
        out.push({
          range: ctx.locate([...job.at, 'pruner'], 'value'),
          message:
            `job \`${job.name}\` (kind \`${job.kind}\`): \`pruner: ${pruner}\` prunes only ${kinds} jobs in Backplan; ` +
            `this job's copies would be pruned by Backplan's own rules, not ${pruner}'s: remove \`pruner\``,
        });
      }
      out.push(...sanoidPairing(ctx, job));
      // A btrbk pair as written (export/btrbk.ts): btrbk keeps the latest common pair for its own target only.
      const pair = btrbkPairProblem(ctx.model, job);
      if (pair) {
        const at = job.raw[pair.key] !== undefined ? ctx.locate([...job.at, pair.key], 'value') : ctx.locate(job.at, 'key');
        out.push({ range: at, message: `job \`${job.name}\` (kind \`${job.kind}\`): ${pair.message}` });
      }
      const policy = jobPolicy(ctx.model, job);
      if (!policy) continue;
      const { engine, items } = of(job, policy);
      if (items.length === 0) continue;
      const kind = `\`${job.kind}\``;
      if (typeof job.retention !== 'string') {
        for (const u of items) {
          out.push({ range: keyRange(ctx, policy.at, u, engine), message: `job \`${job.name}\` (kind ${kind}): ${u.message}` });
        }
        continue;
      }
      const name = job.retention;
      const users = policyUsers(ctx, name);
      for (const u of items) {
        const inPolicy = keyRange(ctx, policy.at, u, engine);
        // The jobs of this policy that fail on this same key.
        const failing = users.filter((other) => of(other, policy).items.some((v) => sameKey(v.key, u.key)));
        if (failing.length === users.length) {
          // Report once per engine, from the first failing job of that engine, on the policy.
          const sameEngine = failing.filter((j) => of(j, policy).engine === engine);
          if (sameEngine[0] !== job) continue;
          const names = sameEngine.map((j) => `\`${j.name}\` (kind \`${j.kind}\`)`).join(', ');
          const related: RelatedInfo[] = sameEngine.map((j) => ({ message: `used by job \`${j.name}\``, range: ctx.locate([...j.at, 'retention'], 'value') }));
          out.push({
            range: inPolicy,
            message: `policy \`${name}\` is used by job${sameEngine.length > 1 ? 's' : ''} ${names}: ${u.message}`,
            related,
          });
        } else {
          const fine = users.filter((j) => !failing.includes(j)).map((j) => `\`${j.name}\``);
          out.push({
            range: ctx.locate([...job.at, 'retention'], 'value'),
            message: `job \`${job.name}\` (kind ${kind}) cannot use policy \`${name}\` as written: ${u.message}; give it a policy of its own (${fine.join(', ')} ${fine.length > 1 ? 'use' : 'uses'} \`${name}\` as is)`,
            related: [{ message: `in policy \`${name}\``, range: inPolicy }],
          });
        }
      }
    }
    return dedupe(out);
  },
};
