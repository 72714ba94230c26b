// Keys written in the wrong place, out of the habits of other tools: `expiry: 7d` or `daily: 7`
// beside `schedule` in a job (Incus puts `snapshots.expiry` on the instance, borgmatic writes
// `keep_daily` at the top of its retention section), `snapshots.schedule` as an Incus instance
// key. When an unknown key of a job or of a policy body is one of them, the schema rule says
// where it belongs ("did you mean `retention.keep.daily`?") and offers to move it there.
//
// This module only decides where each key goes and whether the move can be made, from the
// plain value of the plan; the text edits are made by the schema check (it has the YAML nodes).

export type PlanPath = (string | number)[];

/** One value to move: the value at `source` goes to `to` (both absolute plan paths). */
export interface MovePiece {
  source: PlanPath;
  to: PlanPath;
  /** The value is written in Incus' duration syntax (`1M 2H`, `6m`): translate it on the way. */
  incusDuration?: boolean;
}

/** Take out the pair whose key is at `from`, put its value (or its children) at the pieces' targets. */
export interface KeyMove {
  from: PlanPath;
  pieces: MovePiece[];
}

export interface Misplaced {
  /** Where the key belongs, as a path relative to the job or policy (`retention.keep.daily`, `schedule`). */
  targets: string[];
  /** Which habit the key comes from, for the message (`\`keep_daily\` is borgmatic's spelling`). */
  origin?: string;
  /** Why the key cannot be moved, when it cannot (the message says so; no fix is offered). */
  blocked?: string;
  /** The move, when it can be made. */
  move?: KeyMove;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Keys of `keep` (SPEC §3). */
export const KEEP_KEYS = [
  'last',
  'hourly',
  'daily',
  'weekly',
  'monthly',
  'yearly',
  'within',
  'within_hourly',
  'within_daily',
  'within_weekly',
  'within_monthly',
  'within_yearly',
] as const;

/** Keys of a policy body. */
const POLICY_KEYS = ['keep', 'tiers', 'expiry', 'min'] as const;

/** Incus instance keys `snapshots.*` and where each belongs in a job. */
const INCUS_SNAPSHOT_KEYS: Record<string, string[]> = {
  expiry: ['retention', 'expiry'],
  schedule: ['schedule'],
  pattern: ['pattern'],
};

const normalise = (key: string): string => key.toLowerCase().replace(/-/g, '_');

/** Where a key of a policy body belongs inside that body: `daily` and `keep_daily` → keep.daily. */
function policyTarget(key: string): { to: string[]; origin?: string } | undefined {
  const k = normalise(key);
  if ((KEEP_KEYS as readonly string[]).includes(k)) return { to: ['keep', k] };
  const m = /^keep_(.+)$/.exec(k);
  if (!m) return undefined;
  // borg's --keep-last is its --keep-secondly: the N newest archives, as Backplan's `last`
  const count = m[1] === 'secondly' ? 'last' : m[1];
  if (!(KEEP_KEYS as readonly string[]).includes(count)) return undefined;
  const origin = key.includes('-') ? `\`${key}\` is a restic and borg option` : `\`${key}\` is borgmatic's spelling`;
  return { to: ['keep', count], origin };
}

const dotted = (path: readonly (string | number)[]): string => path.join('.');

/**
 * Whether `to` (relative to `base`, the job or policy value) can receive a value: every mapping
 * on the way is a mapping or absent, and nothing is there yet. Returns why not, or undefined.
 */
function blockedAt(base: Record<string, unknown>, to: readonly string[], job: boolean): string | undefined {
  let cur: unknown = base;
  for (let i = 0; i < to.length; i++) {
    const seg = to[i];
    const v = (cur as Record<string, unknown>)[seg];
    if (i === to.length - 1) {
      return v === undefined ? undefined : `\`${dotted(to)}\` is already set: keep one of the two.`;
    }
    if (v === undefined) return undefined;
    if (!isObject(v)) {
      if (job && i === 0 && seg === 'retention' && typeof v === 'string') {
        return (
          `\`retention\` names the policy \`${v}\` here, so it cannot be merged: ` +
          `put it in policy \`${v}\` under \`policies\`, or write the job's retention inline.`
        );
      }
      return `\`${dotted(to.slice(0, i + 1))}\` is not a mapping, so it cannot be merged there.`;
    }
    cur = v;
  }
  return undefined;
}

/**
 * Is the unknown key `key` of the mapping at `at` a misplaced key, and where does it belong?
 * `at` is a job (`['jobs', name]`), a job's inline retention (`['jobs', name, 'retention']`) or a
 * named policy (`['policies', name]`); `root` is the plan's value; `allowed` the keys the schema
 * accepts at `at` (a kind without `pattern` gets no `snapshots.pattern` → `pattern`).
 */
export function misplacedKey(root: unknown, at: readonly (string | number)[], key: string, allowed: readonly string[]): Misplaced | undefined {
  const isJob = at.length === 2 && at[0] === 'jobs';
  const isPolicy = (at.length === 3 && at[0] === 'jobs' && at[2] === 'retention') || (at.length === 2 && at[0] === 'policies');
  if (!isJob && !isPolicy) return undefined;
  let base: unknown = root;
  for (const seg of at) base = isObject(base) ? base[String(seg)] : undefined;
  if (!isObject(base)) return undefined;
  const from: PlanPath = [...at, key];

  type Piece = { child?: string; to: string[]; incus?: boolean };
  const pieces: Piece[] = [];
  let origin: string | undefined;
  const unmapped: string[] = [];
  if (isPolicy) {
    const t = policyTarget(key);
    if (!t) return undefined;
    pieces.push({ to: t.to });
    origin = t.origin;
  } else if ((POLICY_KEYS as readonly string[]).includes(key)) {
    pieces.push({ to: ['retention', key] });
  } else if (policyTarget(key)) {
    const t = policyTarget(key)!;
    pieces.push({ to: ['retention', ...t.to] });
    origin = t.origin;
  } else if (key.startsWith('snapshots.') && INCUS_SNAPSHOT_KEYS[key.slice('snapshots.'.length)]) {
    const sub = key.slice('snapshots.'.length);
    pieces.push({ to: INCUS_SNAPSHOT_KEYS[sub], incus: sub === 'expiry' });
    origin = `\`${key}\` is an Incus instance key`;
  } else if (key === 'snapshots' && isObject(base[key])) {
    for (const child of Object.keys(base[key] as object)) {
      const to = INCUS_SNAPSHOT_KEYS[child];
      if (to) pieces.push({ child, to, incus: child === 'expiry' });
      else unmapped.push(child);
    }
    if (pieces.length === 0) return undefined;
    origin = `\`snapshots.*\` are Incus instance keys`;
  } else {
    return undefined;
  }
  // a job-level target other than retention must be a field of the job's kind
  const fit = pieces.filter((p) => !isJob || p.to[0] === 'retention' || allowed.includes(p.to[0]));
  for (const p of pieces) if (!fit.includes(p)) unmapped.push(p.child ?? key);
  if (fit.length === 0) return undefined;

  const targets = fit.map((p) => dotted(p.to));
  const reasons = fit.map((p) => blockedAt(base as Record<string, unknown>, p.to, isJob)).filter((r): r is string => r !== undefined);
  let blocked: string | undefined = reasons[0];
  if (!blocked && unmapped.length > 0) {
    blocked = `${unmapped.map((k) => `\`${key === 'snapshots' ? `snapshots.${k}` : k}\``).join(', ')} ${unmapped.length === 1 ? 'has' : 'have'} no place in this job: move the others by hand.`;
  }
  const out: Misplaced = { targets, ...(origin ? { origin } : {}) };
  if (blocked) out.blocked = blocked;
  else {
    out.move = {
      from,
      pieces: fit.map((p) => ({
        source: p.child !== undefined ? [...from, p.child] : from,
        to: [...at, ...p.to],
        ...(p.incus ? { incusDuration: true } : {}),
      })),
    };
  }
  return out;
}

/**
 * An Incus duration (`1M 2H 3d 4w 5m 6y`: M minutes, H hours, m months) as a Backplan duration
 * (`1min2h3d4w5mo6y`), or undefined when the text is not in Incus' syntax or needs no change.
 */
export function fromIncusDuration(text: string): string | undefined {
  const t = text.trim();
  if (!/^(\d+[MHdwmy]\s*)+$/.test(t)) return undefined;
  const units: Record<string, string> = { M: 'min', H: 'h', d: 'd', w: 'w', m: 'mo', y: 'y' };
  const out = [...t.matchAll(/(\d+)([MHdwmy])/g)].map(([, n, u]) => `${n}${units[u]}`).join('');
  return out === t ? undefined : out;
}
