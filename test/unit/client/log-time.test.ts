import { describe, expect, it } from 'vitest';
import { logTime } from '../../../client/log-time';

describe('output channel times', () => {
  it('are local, 24-hour, in ISO order, whatever the locale', () => {
    expect(logTime(new Date(2026, 11, 3, 5, 47, 36))).toBe('2026-12-03 05:47:36');
    expect(logTime(new Date(2026, 0, 9, 17, 4, 5))).toBe('2026-01-09 17:04:05');
  });
});
