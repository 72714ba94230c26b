// A chain none of whose (enabled) jobs has `verify`: nothing ever proves that its copies restore.
// The finding sits on the root job key and suggests verifying the job that holds the farthest
// copy (the last one added), since that is the copy a disaster leaves. When several jobs without
// `from` read the same data (one chain), a `verify` on any job of any of them counts.
// With journalled restore tests (`ctx.verified`, from `backplan check --state-dir`): a chain
// without `verify` whose copies a `backplan verify` did restore is reported as information
// (proven once, never repeated) instead of a warning; and a job whose newest restore test failed
// is reported as a warning on that job, `verify` or not: its copies are not proven restorable.
// A `verify` on a kind that `backplan verify` cannot restore-test (velero, openstack-image,
// vzdump, the snapshot kinds) is reported on that `verify` and never counts: a restore test that
// cannot run must not make coverage look better.
// Restore tests count per data unit (engine/coverage/chains.ts): a `verify` on an rsync of /data
// does not test the /dumps that only a borg job of the chain copies; the finding then names the
// unit left untested.
import { chainName, chainsOf } from '../coverage/chains';
import type { Fix } from '../findings';
import { kindInfo, RESTORE_TEST_KINDS } from '../kinds';
import type { CheckContext, Rule, RuleFinding } from './rule';
import { insertPair } from './shared/insert';

const day = (iso: string) => iso.slice(0, 10);

/** The restore test the message suggests. */
const VERIFY = '{ schedule: "@weekly", restore: sample }';

/** The quick fix that writes the suggested `verify` into `target` (the message's job). */
function verifyFix(ctx: CheckContext, target: string | undefined): Fix[] | undefined {
  if (target === undefined) return undefined;
  const edit = insertPair(ctx.text, ctx.doc, ['jobs', target], 'verify', VERIFY);
  if (!edit) return undefined;
  const title = `Add a weekly restore test to \`${target}\`: \`verify: ${VERIFY}\``;
  return [{ title, edits: [edit], preferred: true }];
}

const fixes = (ctx: CheckContext, target: string | undefined) => {
  const f = verifyFix(ctx, target);
  return f ? { fixes: f } : {};
};

const advice = (verb: string, target: string | undefined) =>
  target !== undefined
    ? `${verb} \`${target}\`, e.g. \`verify: { schedule: "@weekly", restore: sample }\``
    : `No job of it can be restore-tested by \`backplan verify\` (it can test ${RESTORE_TEST_KINDS.join(', ')}): ` +
      'add a copy of one of those kinds, or test restores by hand';

export const rule: Rule = {
  id: 'no-restore-test',
  defaultSeverity: 'warning',
  summary: 'A chain has no `verify` anywhere, or its last restore test failed.',
  check(ctx) {
    const out: RuleFinding[] = [];
    const failed = new Set<string>();
    for (const chain of chainsOf(ctx)) {
      if (!chain.enabled) continue;
      for (const m of chain.members) {
        const job = ctx.model.jobs.get(m);
        if (!job || job.enabled === false || job.verify === undefined || kindInfo(job.kind)?.restoreTest !== false) continue;
        out.push({
          range: ctx.locate(['jobs', m, 'verify'], 'key'),
          message:
            `\`verify\` on a job of kind ${job.kind} can never run: \`backplan verify\` has no restore test for this kind ` +
            `(it has one for ${RESTORE_TEST_KINDS.join(', ')}), so it is not counted as a restore test. ` +
            `Verify a copy made by another job of the chain, or test restores by hand and accept this finding`,
        });
      }
      for (const m of chain.members) {
        const v = ctx.verified?.get(m);
        if (!v || v.ok || failed.has(m) || !ctx.model.jobs.has(m)) continue;
        failed.add(m);
        out.push({
          range: ctx.locate(['jobs', m], 'key'),
          message: `the last restore test of \`${m}\` failed (backplan verify, ${v.at}${v.copy ? `, ${v.copy}` : ''}): its copies are not proven restorable. Run \`backplan verify PLAN --job ${m}\` to see why`,
        });
      }
      const unit = chain.unverified;
      if (!unit) continue;
      // Suggest the farthest copy whose kind can be restore-tested (the copy a disaster leaves),
      // made by the job that copies the most untested units.
      const untested = chain.units.filter((u) => !u.counts.verified);
      const copiedBy = (name: string) => untested.filter((u) => u.copies.some((c) => (c.via ?? chain.root) === name)).length;
      let target: string | undefined;
      let best = 0;
      for (const u of untested) {
        for (const c of [...u.copies].reverse()) {
          const name = c.via ?? chain.root;
          if (!kindInfo(ctx.model.jobs.get(name)?.kind ?? '')?.restoreTest) continue;
          const n = copiedBy(name);
          if (n > best) [best, target] = [n, name];
        }
      }
      const members = chain.units.some((u) => u.counts.verified)
        ? `no job copying ${unit.label} has`
        : chain.roots.length > 1
          ? `no job protecting ${chainName(chain)} has`
          : chain.members.length === 1
            ? `\`${chain.root}\` has no`
            : `no job of the \`${chain.root}\` chain has`;
      const passed = chain.members
        .map((m) => ({ job: m, v: ctx.verified?.get(m) }))
        .filter((x) => x.v?.ok)
        .sort((a, b) => (a.v!.at < b.v!.at ? 1 : -1))[0];
      if (passed) {
        out.push({
          range: ctx.locate(['jobs', chain.root], 'key'),
          severity: 'info',
          message:
            `${members} \`verify\`: a restore test of \`${passed.job}\` passed on ${day(passed.v!.at)} (backplan verify), but nothing repeats it. ` +
            advice('Schedule one on', target),
          ...fixes(ctx, target),
        });
        continue;
      }
      out.push({
        range: ctx.locate(['jobs', chain.root], 'key'),
        message:
          `${members} \`verify\`: nothing tests that its copies can be restored. ` +
          advice('Add a restore test to', target),
        ...fixes(ctx, target),
      });
    }
    return out;
  },
};
