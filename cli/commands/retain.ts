// `backplan retain`: one pruning decision on a given list of snapshots, with the exact
// semantics of the named engine. This is the conformance surface against the real tools.
import { existsSync, readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { buildPolicy } from '../../engine/plan/build-model';
import type { PolicyModel } from '../../engine/plan/model';
import { engineFor, getEngine, ENGINE_IDS, resticEngineFor } from '../../engine/retention';
import { btrbkPreserve, btrbkSchedule, parseBtrbkName } from '../../engine/retention/btrbk';
import { parseResticVersion } from '../../engine/retention/restic';
import type { SnapshotIn } from '../../engine/retention/types';
import { parseDuration } from '../../engine/time/duration';
import { isValidZone } from '../../engine/time/zones';
import { readPlanFile } from '../read-plan';
import type { CommandContext } from '../command';
import { parseTime } from '../parse-time';

/** btrbk's own retention terms, which only `--engine btrbk` reads. */
const BTRBK_TERMS = ['preserve', 'preserve_min', 'preserve_day_of_week', 'preserve_hour_of_day'];

const POLICY_KEYS = new Set(['keep', 'tiers', 'expiry', 'min', 'frequent_period', ...BTRBK_TERMS]);
const KEEP_KEYS = new Set([
  'last', 'frequently', 'hourly', 'daily', 'weekly', 'monthly', 'yearly',
  'within', 'within_hourly', 'within_daily', 'within_weekly', 'within_monthly', 'within_yearly', 'tags',
  'full', 'incrementals_of',
]);

export function parsePolicyArg(text: string, usage: (m: string) => never): PolicyModel {
  const source = existsSync(text) ? readPlanFile(text) : text;
  let raw: unknown;
  try {
    raw = parseYaml(source, { maxAliasCount: 100 });
  } catch (e) {
    usage(`--policy is not valid YAML or JSON: ${String((e as Error).message).split('\n')[0]}`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) usage('--policy must be a mapping, e.g. \'{"keep": {"daily": 7}}\'');
  const obj = raw as Record<string, unknown>;
  for (const k of Object.keys(obj)) if (!POLICY_KEYS.has(k)) usage(`--policy: unknown key \`${k}\` (use keep, tiers, expiry, min)`);
  const keep = obj.keep;
  if (keep !== undefined) {
    if (typeof keep !== 'object' || keep === null) usage('--policy: `keep` must be a mapping');
    for (const k of Object.keys(keep as object)) if (!KEEP_KEYS.has(k)) usage(`--policy: unknown keep rule \`${k}\``);
  }
  const policy = buildPolicy(obj, ['policy']);
  const durations = [
    ...Object.entries(policy.keep ?? {}).filter(([k]) => k.startsWith('within')).map(([, v]) => String(v)),
    ...(policy.tiers ?? []).flatMap((t) => [t.every, t.until].filter((x): x is string => x !== undefined)),
    ...(policy.expiry ? [policy.expiry] : []),
  ];
  for (const d of durations) {
    const r = parseDuration(d);
    if (!r.ok) usage(`--policy: ${r.message}`);
  }
  return policy;
}

/**
 * @param timeOfName the time an entry's `name` says (btrbk reads its snapshots' dates from their
 *   names): such an entry may leave `time` out.
 */
export function parseSnapshotsFile(
  path: string,
  usage: (m: string) => never,
  timeOfName?: (name: string) => number | undefined,
): { snapshots: SnapshotIn[]; written: string[] } {
  const text = path === '-' ? readFileSync(0, 'utf8') : readPlanFile(path);
  const written: string[] = [];
  const snapshots: SnapshotIn[] = [];
  const add = (time: unknown, tags: unknown, where: string, type?: unknown, name?: unknown) => {
    if (time === undefined && typeof name === 'string' && timeOfName) {
      const fromName = timeOfName(name);
      if (fromName === undefined) {
        usage(`${path}: ${where}: \`${name}\` is not a btrbk snapshot name (NAME.TIMESTAMP[_N])`);
      }
      time = new Date(fromName).toISOString();
    }
    const t = typeof time === 'string' ? parseTime(time) : NaN;
    if (!Number.isFinite(t)) usage(`${path}: ${where}: \`${String(time)}\` is not an ISO 8601 time`);
    if (tags !== undefined && !(Array.isArray(tags) && tags.every((x) => typeof x === 'string'))) usage(`${path}: ${where}: tags must be a list of strings`);
    // duplicity's sets: `type` full or incremental (a chain is a full and the incrementals after it).
    if (type !== undefined && type !== 'full' && type !== 'incremental') {
      usage(`${path}: ${where}: type must be full or incremental`);
    }
    const typed = type === undefined ? {} : { type: type as 'full' | 'incremental' };
    if (name !== undefined && typeof name !== 'string') usage(`${path}: ${where}: name must be a string`);
    const named = typeof name === 'string' ? { name } : {};
    const tagged = tags ? { tags: tags as string[] } : {};
    snapshots.push({ time: t, id: String(written.length), ...tagged, ...typed, ...named });
    written.push(String(time));
  };
  const trimmed = text.trim();
  if (trimmed.startsWith('[')) {
    let list: unknown;
    try {
      list = JSON.parse(trimmed);
    } catch (e) {
      usage(`${path}: not valid JSON: ${(e as Error).message}`);
    }
    (list as unknown[]).forEach((item, i) => {
      if (typeof item === 'string') add(item, undefined, `item ${i}`);
      else if (typeof item === 'object' && item !== null) {
        const o = item as { time?: unknown; tags?: unknown; type?: unknown; name?: unknown };
        add(o.time, o.tags, `item ${i}`, o.type, o.name);
      }
      else usage(`${path}: item ${i} must be {"time": ...} or an ISO time`);
    });
  } else {
    text.split(/\r?\n/).forEach((line, i) => {
      if (line.trim() !== '' && !line.trim().startsWith('#')) add(line.trim(), undefined, `line ${i + 1}`);
    });
  }
  return { snapshots, written };
}

export function runRetain(cmd: CommandContext): number {
  const format = cmd.format();
  const engineId = cmd.string('engine');
  const policyText = cmd.string('policy');
  const file = cmd.string('snapshots');
  if (!engineId || !policyText || !file) cmd.usage('retain needs --engine, --policy and --snapshots');
  if (!(ENGINE_IDS as readonly string[]).includes(engineId)) cmd.usage(`--engine ${engineId} is not known; use ${ENGINE_IDS.join(', ')}`);
  // The tool's release, where releases prune differently (restic before 0.16: no oldest rule).
  const version = cmd.string('tool-version');
  if (version !== undefined && engineId !== 'restic') cmd.usage(`--tool-version applies to --engine restic only`);
  if (version !== undefined && !parseResticVersion(version)) cmd.usage(`--tool-version ${version} is not a version such as 0.14.0`);
  // btrbk: snapshot_preserve* or target_preserve* (a target also takes preserve_min no and 0).
  const side = cmd.string('side');
  if (side !== undefined && engineId !== 'btrbk') cmd.usage('--side applies to --engine btrbk only');
  const common = cmd.string('latest-common');
  if (common !== undefined && engineId !== 'btrbk') cmd.usage('--latest-common applies to --engine btrbk only');
  const engine =
    engineId === 'restic'
      ? resticEngineFor(version)
      : side === 'target'
        ? engineFor('btrfs-send', undefined, {}, 'btrbk')
        : getEngine(engineId as (typeof ENGINE_IDS)[number]);
  const policy = parsePolicyArg(policyText, cmd.usage);
  const foreign = engineId === 'btrbk' ? [] : BTRBK_TERMS.filter((k) => policy.raw[k] !== undefined);
  if (foreign.length) cmd.usage(`--policy: ${foreign.join(', ')}: btrbk's own terms, read by --engine btrbk only`);
  const unsupported = engine.unsupported(policy);
  if (unsupported.length > 0) cmd.usage(`the ${engineId} engine cannot express this policy: ${unsupported.map((u) => u.message).join('; ')}`);
  const zone = cmd.string('timezone') ?? 'UTC';
  if (!isValidZone(zone)) cmd.usage(`--timezone ${zone} is not an IANA zone (e.g. Europe/Paris, UTC)`);
  const nowText = cmd.string('now');
  const now = nowText === undefined ? Date.now() : parseTime(nowText);
  if (!Number.isFinite(now)) cmd.usage(`--now ${nowText} is not an ISO 8601 time`);
  // btrbk reads a snapshot's date from its name: `{"name": "home.20261207T1200_1"}` is enough.
  const timeOfName = engineId === 'btrbk' ? (name: string) => parseBtrbkName(name, zone)?.time : undefined;
  const { snapshots, written } = parseSnapshotsFile(file, cmd.usage, timeOfName);
  let decision = engine.evaluate(snapshots, policy, { now, timezone: zone });
  if (common !== undefined) {
    // The pair btrbk forces (FORCE_PRESERVE) before it schedules the deletes of either side.
    // A name first: two btrbk names can share a date (`_N`).
    const byName = snapshots.findIndex((s) => s.name === common);
    const i = byName >= 0 ? byName : written.indexOf(common);
    if (i < 0) cmd.usage(`--latest-common ${common} is not one of the listed times or names`);
    const p = btrbkPreserve(policy, side === 'target' ? 'target' : 'snapshot');
    const reason = `preserve forced: latest common ${side === 'target' ? 'target' : 'snapshot'}`;
    if (p.ok) decision = btrbkSchedule(snapshots, p.value, now, zone, new Set(), { forced: new Map([[String(i), reason]]) });
  }
  const nameOf = (s: SnapshotIn) => (s.name !== undefined ? { name: s.name } : {});
  const timeOf = (s: SnapshotIn) => (s.id !== undefined ? written[Number(s.id)] : new Date(s.time).toISOString());
  const result = {
    keep: decision.keep.map((k) => ({ time: timeOf(k.snapshot), ...nameOf(k.snapshot), reasons: k.reasons })),
    remove: decision.remove.map((s) => ({ time: timeOf(s), ...nameOf(s) })),
  };
  if (format === 'json') {
    cmd.out.write(JSON.stringify(result, null, 2) + '\n');
  } else {
    const w = Math.max(0, ...result.keep.map((k) => k.time.length), ...result.remove.map((r) => r.time.length));
    const lines = [
      ...result.keep.map((k) => {
        const name = 'name' in k ? `${k.name}  ` : '';
        return `keep    ${k.time.padEnd(w)}  ${name}${k.reasons.join(', ')}`;
      }),
      ...result.remove.map((r) => `remove  ${r.time}${'name' in r ? `  ${r.name}` : ''}`),
      `${result.keep.length} kept, ${result.remove.length} removed (${engine.release ?? engineId} semantics)`,
    ];
    cmd.out.write(lines.join('\n') + '\n');
  }
  return 0;
}
