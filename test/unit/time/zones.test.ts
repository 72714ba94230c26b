import { describe, expect, it } from 'vitest';
import { checkZone, closestZones, isValidZone } from '../../../engine/time/zones';

describe('zones', () => {
  it('accepts IANA names spelt as in the tz database', () => {
    for (const z of ['UTC', 'Europe/Paris', 'America/Argentina/Buenos_Aires', 'Etc/GMT+2', 'Etc/UTC', 'US/Pacific']) {
      expect(isValidZone(z), z).toBe(true);
    }
  });

  it('rejects unknown names with a suggestion', () => {
    const r = checkZone('Europe/Pariss');
    expect(r.ok).toBe(false);
    expect(!r.ok && r.suggestions[0]).toBe('Europe/Paris');
    expect(!r.ok && r.message).toContain('unknown timezone `Europe/Pariss`');
    expect(closestZones('Paris')).toContain('Europe/Paris');
  });

  it('rejects the wrong case (zone names are file names on the hosts)', () => {
    const r = checkZone('europe/paris');
    expect(r).toMatchObject({ ok: false, suggestions: ['Europe/Paris'] });
    expect(isValidZone('utc')).toBe(false);
  });

  it('rejects empty, non-string and padded values', () => {
    expect(isValidZone('')).toBe(false);
    expect(isValidZone(undefined)).toBe(false);
    expect(isValidZone(42)).toBe(false);
    expect(checkZone(' UTC')).toMatchObject({ ok: false, suggestions: ['UTC'] });
    expect(isValidZone('+02:00')).toBe(false);
  });
});
