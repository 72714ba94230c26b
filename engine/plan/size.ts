// Sizes (`capacity`, `size`) and daily change rates (`change`) as written in a plan.
//
// Units: decimal SI units are powers of 1000 — `B`, `kB`/`KB`, `MB`, `GB`, `TB`, `PB`, `EB` (as
// disk vendors and cloud providers count); binary IEC units are powers of 1024 — `KiB`, `MiB`,
// `GiB`, `TiB`, `PiB`, `EiB`. A single letter (`K`, `M`, `G`, `T`, `P`, `E`) is read as binary,
// the way `zfs list`, `df -h` and `du -h` print sizes. A bare number is bytes. Decimals and a
// space before the unit are allowed (`1.5TiB`, `500 GB`). Units are case-insensitive and never
// mean bits: `Gb` is read as gigabytes.

export type SizeSystem = 'decimal' | 'binary';

export interface ParsedSize {
  bytes: number;
  /** Which family the unit belongs to, so results can be shown the way the user wrote them. */
  system: SizeSystem;
}

const DECIMAL: Record<string, number> = { '': 0, k: 1, m: 2, g: 3, t: 4, p: 5, e: 6 };
const SIZE = /^\s*(\d+(?:\.\d+)?|\.\d+)\s*([kmgtpe]?)(i?)(b?)\s*$/i;

export function parseSize(text: unknown): ParsedSize | undefined {
  if (typeof text === 'number') return Number.isFinite(text) && text >= 0 ? { bytes: text, system: 'decimal' } : undefined;
  if (typeof text !== 'string') return undefined;
  const m = SIZE.exec(text);
  if (!m) return undefined;
  const [, digits, prefixRaw, iec, b] = m;
  const value = Number(digits);
  const prefix = prefixRaw.toLowerCase();
  if (prefix === '') {
    // "512" or "512B"; "512iB" is nonsense.
    if (iec !== '') return undefined;
    return { bytes: value, system: 'decimal' };
  }
  const power = DECIMAL[prefix];
  // `KiB` (binary), `KB` (decimal), `K` (binary, as zfs/df print), `Ki` (binary).
  const binary = iec !== '' || b === '';
  return binary ? { bytes: value * 1024 ** power, system: 'binary' } : { bytes: value * 1000 ** power, system: 'decimal' };
}

const DEC_UNITS = ['B', 'kB', 'MB', 'GB', 'TB', 'PB', 'EB'];
const BIN_UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB'];

/** "5.2 TB" (decimal) or "4.7 TiB" (binary): at most 3 significant figures, trailing zeros cut. */
export function formatSize(bytes: number, system: SizeSystem = 'decimal'): string {
  const base = system === 'binary' ? 1024 : 1000;
  const units = system === 'binary' ? BIN_UNITS : DEC_UNITS;
  let i = 0;
  let v = bytes;
  while (Math.abs(v) >= base && i < units.length - 1) {
    v /= base;
    i++;
  }
  const shown = i === 0 ? String(Math.round(v)) : Number(v.toPrecision(3)).toString();
  return `${shown} ${units[i]}`;
}

/**
 * A daily change rate: a fraction of the size (`2%`, `2%/d`, `2%/day`, or a plain number ≤ 1
 * such as `0.02`), or an absolute amount per day (`10GB`, `10GB/d`, `10 GiB/day`).
 */
export type ChangeRate = { kind: 'fraction'; value: number } | { kind: 'bytes'; value: number; system: SizeSystem };

const PER_DAY = /\s*\/\s*(d|day)\s*$/i;

export function parseChange(text: unknown): ChangeRate | undefined {
  if (typeof text === 'number') return Number.isFinite(text) && text >= 0 && text <= 1 ? { kind: 'fraction', value: text } : undefined;
  if (typeof text !== 'string') return undefined;
  const s = text.replace(PER_DAY, '').trim();
  const pct = /^(\d+(?:\.\d+)?|\.\d+)\s*%$/.exec(s);
  if (pct) return { kind: 'fraction', value: Number(pct[1]) / 100 };
  if (/^(\d+(?:\.\d+)?|\.\d+)$/.test(s)) {
    const v = Number(s);
    return v <= 1 ? { kind: 'fraction', value: v } : undefined;
  }
  const size = parseSize(s);
  return size ? { kind: 'bytes', value: size.bytes, system: size.system } : undefined;
}

/** Bytes changed per day for a source of `sizeBytes`. */
export function dailyChangeBytes(rate: ChangeRate, sizeBytes: number): number {
  return rate.kind === 'fraction' ? rate.value * sizeBytes : rate.value;
}

/** "2%/day" or "10 GB/day", for messages. */
export function formatChange(rate: ChangeRate): string {
  if (rate.kind === 'fraction') return `${Number((rate.value * 100).toPrecision(3))}%/day`;
  return `${formatSize(rate.value, rate.system)}/day`;
}
