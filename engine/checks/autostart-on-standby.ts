// An `incus-copy` whose target is a `role: standby` host must set `autostart: false`: Incus
// carries `boot.autostart` over with the copy, so a standby copy of an autostarting instance
// would boot next to the primary (same addresses, same jobs) after the standby's next reboot.
// The target host is the `to` storage's host (or `to` itself when it names a host), or the
// `remote` when it names a host. A missing `autostart` counts as "would start".
import { isMap, isScalar, type Pair, type YAMLMap } from 'yaml';
import type { Fix, TextEdit } from '../findings';
import { isMergeKey } from '../plan/locate';
import type { HostModel, JobModel, PlanModel } from '../plan/model';
import type { CheckContext, Rule, RuleFinding } from './rule';

/** Values Incus reads as false for boot.autostart (Go's strconv.ParseBool). */
const FALSE = new Set(['false', 'False', 'FALSE', 'f', 'F', '0']);

function isFalse(v: unknown): boolean {
  return v === false || v === 0 || (typeof v === 'string' && FALSE.has(v.trim()));
}

function standbyTarget(plan: PlanModel, job: JobModel): { host: HostModel; via: 'to' | 'remote' } | undefined {
  const candidates: { name: string | undefined; via: 'to' | 'remote' }[] = [];
  if (job.to !== undefined) candidates.push({ name: plan.storage.get(job.to)?.host ?? (plan.hosts.has(job.to) ? job.to : undefined), via: 'to' });
  if (typeof job.raw.remote === 'string') candidates.push({ name: job.raw.remote, via: 'remote' });
  for (const c of candidates) {
    const host = c.name !== undefined ? plan.hosts.get(c.name) : undefined;
    if (host?.role === 'standby') return { host, via: c.via };
  }
  return undefined;
}

/** The job's own mapping node (not an alias), if it is one. */
function ownMap(ctx: CheckContext, job: JobModel): YAMLMap | undefined {
  const node = ctx.doc?.getIn(job.at as (string | number)[], true);
  return isMap(node) ? node : undefined;
}

function ownPair(map: YAMLMap, key: string): Pair | undefined {
  return map.items.find((p) => !isMergeKey(p.key) && isScalar(p.key) && String(p.key.value) === key) as Pair | undefined;
}

/**
 * An edit that adds `key: value` to the mapping, at the indentation of its keys (block style,
 * on the line after `kind`, else before the first key) or before the closing brace (flow style).
 */
export function insertPairEdit(text: string, map: YAMLMap, key: string, value: string): TextEdit | undefined {
  if (!map.range) return undefined;
  if (map.flow) {
    const last = map.items[map.items.length - 1] as Pair | undefined;
    if (!last) {
      let close = map.range[1] - 1;
      while (close > map.range[0] && text[close] !== '}') close--;
      if (text[close] !== '}') return undefined;
      return { range: { start: close, end: close }, newText: `${key}: ${value}` };
    }
    const end = (last.value as { range?: number[] } | null)?.range?.[1] ?? (last.key as { range?: number[] } | null)?.range?.[1];
    if (end === undefined) return undefined;
    return { range: { start: end, end }, newText: `, ${key}: ${value}` };
  }
  const first = map.items[0] as Pair | undefined;
  const firstKey = (first?.key as { range?: number[] } | null)?.range?.[0];
  if (firstKey === undefined) return undefined;
  const lineStart = text.lastIndexOf('\n', firstKey - 1) + 1;
  const indent = text.slice(lineStart, firstKey);
  if (!/^ *$/.test(indent)) return undefined;
  const kind = ownPair(map, 'kind');
  const kindEnd = isScalar(kind?.value) ? kind.value.range?.[1] : undefined;
  if (kindEnd !== undefined) {
    const nl = text.indexOf('\n', kindEnd);
    if (nl < 0) return { range: { start: text.length, end: text.length }, newText: `\n${indent}${key}: ${value}` };
    return { range: { start: nl + 1, end: nl + 1 }, newText: `${indent}${key}: ${value}\n` };
  }
  return { range: { start: lineStart, end: lineStart }, newText: `${indent}${key}: ${value}\n` };
}

export const rule: Rule = {
  id: 'autostart-on-standby',
  defaultSeverity: 'error',
  summary: 'An instance copied to a standby host would start on boot.',
  check(ctx) {
    const out: RuleFinding[] = [];
    for (const job of ctx.model.jobs.values()) {
      if (job.kind !== 'incus-copy') continue;
      if (isFalse(job.raw.autostart)) continue;
      const target = standbyTarget(ctx.model, job);
      if (!target) continue;
      const instance = typeof job.raw.instance === 'string' ? `\`${job.raw.instance}\`` : 'the instance';
      const map = ownMap(ctx, job);
      const own = map ? ownPair(map, 'autostart') : undefined;
      const written = 'autostart' in job.raw;
      const why = written
        ? `\`autostart\` is not false`
        : `no \`autostart: false\`, and Incus carries \`boot.autostart\` over with the copy`;
      const message =
        `\`${job.name}\` copies ${instance} to \`${target.host.name}\`, a standby host, with ${why}: ` +
        `the copy would start when \`${target.host.name}\` boots, next to the primary. Set \`autostart: false\``;
      let edit: TextEdit | undefined;
      if (own && isScalar(own.value) && own.value.range) {
        edit = { range: { start: own.value.range[0], end: own.value.range[1] }, newText: 'false' };
      } else if (map && !own) {
        edit = insertPairEdit(ctx.text, map, 'autostart', 'false');
      }
      const fixes: Fix[] = edit ? [{ title: 'Set `autostart: false`', edits: [edit], preferred: true }] : [];
      out.push({
        range: own ? ctx.locate([...job.at, 'autostart'], 'value') : ctx.locate(job.at, 'key'),
        message,
        related: [{ message: `\`${target.host.name}\` has \`role: standby\``, range: ctx.locate([...target.host.at, 'role'], 'value') }],
        ...(fixes.length > 0 ? { fixes } : {}),
      });
    }
    return out;
  },
};
