// Settings from clients: partial, wrong or out of range input never breaks the server.
import { describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS } from '../../server/protocol';
import { mergeSettings } from '../../server/server';

describe('mergeSettings', () => {
  it('keeps the defaults for what is missing or of the wrong type', () => {
    expect(mergeSettings(DEFAULT_SETTINGS, undefined)).toEqual(DEFAULT_SETTINGS);
    expect(mergeSettings(DEFAULT_SETTINGS, 'fast')).toEqual(DEFAULT_SETTINGS);
    expect(mergeSettings(DEFAULT_SETTINGS, { validation: { debounceMs: '10' }, inlayHints: { retention: 'no' } })).toEqual(DEFAULT_SETTINGS);
  });
  it('takes what is given, clamped', () => {
    const s = mergeSettings(DEFAULT_SETTINGS, { validation: { debounceMs: 300 }, inlayHints: { retention: false } });
    expect(s.validation).toEqual({ debounceMs: 300, budgetMs: 50 });
    expect(s.inlayHints).toEqual({ schedules: true, retention: false });
    expect(mergeSettings(DEFAULT_SETTINGS, { validation: { debounceMs: -5 } }).validation.debounceMs).toBe(0);
    expect(mergeSettings(DEFAULT_SETTINGS, { validation: { debounceMs: 1e9 } }).validation.debounceMs).toBe(10_000);
  });
  it('reads flat keys: `validation.debounceMs`, `backplan.validation.debounceMs`', () => {
    expect(mergeSettings(DEFAULT_SETTINGS, { 'validation.debounceMs': 40 }).validation.debounceMs).toBe(40);
    expect(mergeSettings(DEFAULT_SETTINGS, { 'backplan.validation.debounceMs': 60, 'backplan.inlayHints.schedules': false })).toEqual({
      validation: { debounceMs: 60, budgetMs: 50 },
      inlayHints: { schedules: false, retention: true },
      stateDir: '',
    });
  });

  it('takes a state directory as a string, nothing else', () => {
    expect(mergeSettings(DEFAULT_SETTINGS, { stateDir: '/srv/backplan-state' }).stateDir).toBe('/srv/backplan-state');
    expect(mergeSettings(DEFAULT_SETTINGS, { stateDir: 42 }).stateDir).toBe('');
    expect(mergeSettings(DEFAULT_SETTINGS, { stateDir: 'a\0b' }).stateDir).toBe('');
  });
});
