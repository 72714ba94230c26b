// zfs-send — replicate the snapshots of the `from` zfs-snapshot job to `dataset` on the host of
// `to`: `zfs send [-R] [-i BASE] SRC@SNAP | zfs receive [-s] [-F] DEST` (-R with `recursive`), each side on its own
// host (the runner connects the two commands). The first send is full (into a target that must not exist yet: no -F,
// so an existing dataset is never overwritten); later sends are incremental from the newest snapshot both sides hold,
// with -F to roll the target back to it. With `resumable` (default true) the receive keeps a resume token (-s) and an
// interrupted send is continued with `zfs send -t TOKEN` (OpenZFS ≥ 0.7; zfs-fuse has no -s: set `resumable: false`).
// Pruned natively on the target, keeping the base shared with the source. With `pruner: sanoid` (its source a
// `pruner: sanoid` job, whose snapshots sanoid types by name) the incremental is `-I` (every snapshot after the base,
// so every type reaches the target) and sanoid prunes the target after the send (tool-pruner.ts, `autosnap = no`),
// keeping no base: `replication-base-at-risk` says when its rules can delete it. Its first send is the source's
// oldest snapshot in full, then `-I` up to the newest (as syncoid does). Syntax:
// https://openzfs.github.io/openzfs-docs/man/master/8/zfs-send.8.html (`zfs send [-i snapshot] snapshot`, `zfs send -t
// token`), https://openzfs.github.io/openzfs-docs/man/master/8/zfs-receive.8.html (`zfs receive [-Fhnsuv]
// filesystem`), https://openzfs.github.io/openzfs-docs/Basic%20Concepts/Operations/Send%20and%20Receive.html
import type { JobModel, PlanModel } from '../../plan/model';
import { Kit, type DriverContext, type DriverResult, DEFAULT_PREFIX } from '../steps/driver-kit';
import { sanoidReplicaProblem } from '../../export/sanoid';
import { engineIdFor } from '../../retention/index';
import { toolPrunerSteps } from './tool-pruner';
import { dataset } from './zfs-snapshot';

export function steps(job: JobModel, plan: PlanModel, ctx: DriverContext): DriverResult {
  const k = new Kit(job, plan, ctx);
  const from = k.source('zfs-snapshot');
  const srcHost = from ? k.hostRef(from.host, `host of ${from.name}`, [...from.at, 'host']) : undefined;
  const srcDs = from ? dataset(k, from.raw.dataset, `dataset of ${from.name}`, [...from.at, 'dataset']) : undefined;
  const to = k.storage(job.to, 'to');
  const dstHost = to ? k.storageHost(to) : undefined;
  const dstDs = dataset(k, job.raw.dataset);
  const resumable = job.raw.resumable !== false;
  const policy = k.policy();
  const state = k.state;
  // sanoid prunes the target: the source must be sanoid's (its typed names), and vice versa.
  const bySanoid = engineIdFor(job.kind, undefined, job.raw.pruner) === 'sanoid';
  const sanoidFrom = from !== undefined && engineIdFor(from.kind, undefined, from.raw.pruner) === 'sanoid';
  if (bySanoid && from) {
    const problem = sanoidReplicaProblem(plan, job);
    if (problem) k.err(`\`pruner: sanoid\`: ${problem}`, k.at('pruner'));
  } else if (sanoidFrom) {
    k.err(
      `the source \`${from!.name}\` is pruned by sanoid (several typed snapshots a run): add \`pruner: sanoid\` ` +
        'so sanoid prunes this target by type too',
      k.at('from'),
    );
  }
  k.checkInventoryNames(state.base, state.latest, state.oldest);
  if (state.resumeToken !== undefined && !/^[A-Za-z0-9-]+$/.test(state.resumeToken))
    k.err('inventory resume token is malformed');
  if (k.errors.length || !from || !srcHost || !srcDs || !dstHost || !dstDs) return k.result();

  const zfsSrc = k.tool(from.host, 'zfs');
  const zfsDst = k.tool(to!.host, 'zfs');
  const notes: string[] = [];
  const unresolved: string[] = [];
  const produced = ctx.produced?.[from.name];
  const snap = produced?.name ?? state.latest;
  const snapName = snap ?? `{{newest snapshot of ${from.name}}}`;
  if (!snap) unresolved.push(snapName);
  const recvFlags = resumable ? ['-s'] : [];
  // -R sends the children and their snapshots too (a replication stream), incremental with -i.
  const rec = job.raw.recursive === true || from.raw.recursive === true ? ['-R'] : [];

  let send: string[];
  let recv: string[];
  let fullFirst: { send: string[]; recv: string[]; name: string } | undefined;
  if (state.resumeToken) {
    send = [zfsSrc, 'send', '-t', state.resumeToken];
    recv = [zfsDst, 'receive', ...recvFlags, dstDs];
    notes.push('continues an interrupted send from its resume token');
  } else if (state.base) {
    if (state.base === snap) {
      // The target already holds the newest snapshot: nothing to send in this run.
      return k.result();
    }
    send = [zfsSrc, 'send', ...rec, bySanoid ? '-I' : '-i', `${srcDs}@${state.base}`, `${srcDs}@${snapName}`];
    recv = [zfsDst, 'receive', ...recvFlags, '-F', dstDs];
  } else {
    if (state.targetExists) {
      k.err(
        `${dstDs} exists on the target but shares no snapshot with ${srcDs}: a full send would have to overwrite it; ` +
          `refusing (destroy or rename the target first)`,
      );
      return k.result();
    }
    // sanoid: the oldest in full, then `-I` to the newest (as syncoid does), so the target starts
    // with every snapshot, of every type, that the source holds.
    const first = bySanoid && state.oldest !== undefined && state.oldest !== snap ? state.oldest : undefined;
    send = [zfsSrc, 'send', ...rec, `${srcDs}@${first ?? snapName}`];
    recv = [zfsDst, 'receive', ...recvFlags, dstDs];
    if (first !== undefined) {
      fullFirst = { send, recv, name: first };
      send = [zfsSrc, 'send', ...rec, '-I', `${srcDs}@${first}`, `${srcDs}@${snapName}`];
      recv = [zfsDst, 'receive', ...recvFlags, '-F', dstDs];
      notes.push(`first replication: ${first} in full, then every snapshot after it up to ${snapName} (-I)`);
    } else notes.push(
      state.targetExists === false
        ? 'first replication: full send into a new dataset'
        : 'no inventory known: shown as a first, full send; with a common snapshot the runner sends incrementally ' +
          `(${bySanoid ? '-I' : '-i'} BASE, receive -F)`,
    );
  }
  // The target holds the source's snapshot names: match them with the source job's pattern.
  const src = new Kit(from, plan, ctx).copyName(DEFAULT_PREFIX);
  const inventory = bySanoid
    ? { type: 'zfs-snapshots' as const, host: dstHost, dataset: dstDs, match: 'autosnap_*', naming: 'sanoid' as const }
    : { type: 'zfs-snapshots' as const, host: dstHost, dataset: dstDs, match: src?.match ?? `${DEFAULT_PREFIX}*` };
  if (fullFirst) {
    const what = `send ${srcDs}@${fullFirst.name} to ${dstDs} in full (the oldest)`;
    k.command('copy', what, { host: srcHost, argv: fullFirst.send }, {
      pipe: [{ host: dstHost, argv: fullFirst.recv }],
      inventory,
    });
  }
  k.command(
    'copy',
    `send ${srcDs}@${snapName} to ${dstDs}`,
    { host: srcHost, argv: send },
    {
      pipe: [{ host: dstHost, argv: recv }],
      notes,
      inventory,
      ...(unresolved.length ? { unresolved } : {}),
    },
  );
  k.produced = { name: snapName, host: dstHost, where: dstDs };
  if (bySanoid) {
    toolPrunerSteps(k, 'sanoid', dstHost, policy, inventory, dstDs, { pruneOnly: true });
  } else if (policy) {
    k.prune(`prune snapshots of ${dstDs} by policy`, dstHost, policy, inventory, {
      timezone: k.timezone(from.host),
      replicaOf: from.name,
    });
  }
  return k.result();
}
