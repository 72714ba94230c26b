// A job whose output lands on another site than its chain's live data (both sites known) sends
// the data out of the building: it must be encrypted. Encrypted means: the job or a job it copies
// from (through `from`) is restic or borg (their repositories are encrypted by design) or has an
// `encrypt` setting its kind honours (the gpg stage of archive and dumps) — a copy of an
// encrypted repository stays encrypted. `encrypt` on a kind that cannot apply it (zfs-send,
// incus-copy ...) does not count, and the message gives that kind's own way (engine/kinds.ts).
// The finding sits on the job's `to` value (else its `remote`, else its key). Disabled jobs are
// skipped. A job without `from` that reads another job's output directory (chains.ts `parentOf`)
// copies that output: it is encrypted when the output is.
import { chainsOf, isOffsite, type Chain } from '../coverage/chains';
import { kindInfo } from '../kinds';
import type { JobModel, PlanModel } from '../plan/model';
import type { Rule, RuleFinding } from './rule';

function hasEncrypt(job: JobModel): boolean {
  const e = job.raw.encrypt;
  if (e === undefined || e === null || e === false) return false;
  if (typeof e === 'object') return Object.keys(e as object).length > 0;
  return true;
}

/** A passphrase reference on the job or its `to` storage (duplicity's symmetric encryption). */
function hasPassphrase(plan: PlanModel, job: JobModel): boolean {
  const storage = job.to !== undefined ? plan.storage.get(job.to)?.raw : undefined;
  return [job.raw, storage].some(
    (r) => r !== undefined && (r.passphrase_env !== undefined || r.passphrase_file !== undefined),
  );
}

/** The job that encrypts what `job` writes: itself or one of its `from` ancestors (or the job whose output it reads). */
function encryptedBy(plan: PlanModel, chain: Chain, job: JobModel): JobModel | undefined {
  const seen = new Set<string>();
  let j: JobModel | undefined = job;
  while (j && !seen.has(j.name)) {
    seen.add(j.name);
    const how = kindInfo(j.kind)?.encryption;
    // duplicity encrypts only with a key (`encrypt`) or a passphrase; without both it writes --no-encryption.
    if (j.kind === 'duplicity') {
      if (hasEncrypt(j) || hasPassphrase(plan, j)) return j;
    } else if (how === 'repository' || ((how === 'gpg' || how === undefined) && hasEncrypt(j))) return j;
    const parent: string | undefined = j.from ?? chain.parentOf[j.name];
    j = parent !== undefined ? plan.jobs.get(parent) : undefined;
  }
  return undefined;
}

/** What to do about it, in the terms of the job's kind. */
function howToEncrypt(job: JobModel): string {
  const how = kindInfo(job.kind)?.encryption;
  if (how === undefined || how === 'gpg') return 'add `encrypt:` (e.g. `encrypt: { gpg: { recipient: KEY_ID } }`) or use an encrypted repository (restic, borg)';
  if (job.kind === 'duplicity') {
    return 'give it `passphrase_env`/`passphrase_file` (symmetric gpg) or `encrypt: { gpg: { recipient: KEY_ID } }`';
  }
  if (how === 'repository') return 'use an encrypted repository';
  return `${hasEncrypt(job) ? `\`encrypt\` has no effect on ${job.kind}: ` : ''}${how.advice}`;
}

export const rule: Rule = {
  id: 'offsite-unencrypted',
  defaultSeverity: 'warning',
  summary: 'An offsite copy is not encrypted.',
  check(ctx) {
    const plan = ctx.model;
    const out: RuleFinding[] = [];
    for (const chain of chainsOf(ctx)) {
      if (!chain.enabled) continue;
      for (const name of chain.members) {
        const job = plan.jobs.get(name)!;
        const lands = chain.landing[name];
        if (!job.enabled || !lands || !isOffsite(chain.source, lands)) continue;
        if (encryptedBy(plan, chain, job)) continue;
        const field = job.to !== undefined ? 'to' : job.raw.remote !== undefined ? 'remote' : undefined;
        out.push({
          range: field ? ctx.locate([...job.at, field], 'value') : ctx.locate(job.at, 'key'),
          message:
            `\`${name}\` sends \`${chain.rootOf[name] ?? chain.root}\`'s data to ${lands.label} on site \`${lands.site}\` (the data lives on \`${chain.source.site}\`) unencrypted: ` +
            howToEncrypt(job),
        });
      }
    }
    return out;
  },
};
