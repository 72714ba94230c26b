import { describe, expect, it } from 'vitest';
import { checkText } from '../../../engine/check';
import { rule as fullWindow } from '../../../engine/checks/duplicity-full-window';
import { rule as rpoGap } from '../../../engine/checks/duplicity-rpo-gap';
import { rule as offsite } from '../../../engine/checks/offsite-unencrypted';

const NOW = Date.parse('2026-01-15T00:00:00Z');
const slice = (text: string, r: { start: number; end: number }) => text.slice(r.start, r.end);

const plan = (job: string) => `version: 1
storage: { disk: { path: /srv/dup, media: hdd } }
jobs:
  files:
    kind: duplicity
    paths: [/etc]
    to: disk
    schedule: "0 3 * * *"
${job}`;

describe('duplicity-full-window', () => {
  const run = (text: string) => checkText(text, { rules: [fullWindow], now: NOW }).findings;

  it('fires on full_every longer than the within window, in duplicity units', () => {
    const text = plan('    full_every: 1mo\n    retention: { keep: { within: 14d } }\n');
    const [f, ...rest] = run(text);
    expect(rest).toEqual([]);
    expect(slice(text, f.range)).toBe('1mo');
    expect(f.message).toMatch(/longer than its retention window `within: 14d`/);
    expect(f.message).toMatch(/up to 30d of incrementals/);
    expect(slice(text, f.related![0].range)).toBe('14d');
  });

  it('is quiet when full_every fits the window (30 days = 1mo for duplicity)', () => {
    expect(run(plan('    full_every: 1mo\n    retention: { keep: { within: 30d } }\n'))).toEqual([]);
    expect(run(plan('    full_every: 1w\n    retention: { keep: { within: 1mo, full: 2 } }\n'))).toEqual([]);
  });

  it('fires without full_every: one chain, never pruned', () => {
    const text = plan('    retention: { keep: { full: 2 } }\n');
    const [f] = run(text);
    expect(slice(text, f.range)).toBe('duplicity');
    expect(f.message).toMatch(/no `full_every`/);
    expect(run(plan('    retention: { keep: { incrementals_of: 1 } }\n'))).toEqual([]);
  });
});

describe('duplicity-rpo-gap', () => {
  const run = (text: string) => checkText(text, { rules: [rpoGap], now: NOW }).findings;

  it('fires when remove-all-inc-of-but-n-full leaves only fulls a week apart against a 1d rpo', () => {
    const text = plan(
      '    rpo: 1d\n    full_every: 1w\n    retention: { keep: { within: 1mo, incrementals_of: 1 } }\n',
    );
    const [f, ...rest] = run(text);
    expect(rest).toEqual([]);
    expect(slice(text, f.range)).toBe('retention');
    // Fulls every 8 days (7 days old is not older than 1w): 8 days between two kept fulls.
    expect(f.message).toMatch(/leaves 8d between/);
    expect(f.message).toMatch(/where its rpo 1d needs \d+/);
    expect(slice(text, f.related![0].range)).toBe('1d');
  });

  it('is quiet when every chain keeps its incrementals, or the rpo allows the gap', () => {
    expect(run(plan('    rpo: 1d\n    full_every: 1w\n    retention: { keep: { within: 1mo } }\n'))).toEqual([]);
    expect(
      run(plan('    rpo: 9d\n    full_every: 1w\n    retention: { keep: { within: 1mo, incrementals_of: 1 } }\n')),
    ).toEqual([]);
    expect(run(plan('    full_every: 1w\n    retention: { keep: { within: 1mo, incrementals_of: 1 } }\n'))).toEqual([]);
  });
});

describe('offsite-unencrypted for duplicity', () => {
  const text = (extra: string) => `version: 1
hosts:
  prod: { site: paris }
storage:
  bucket: { site: cloud, media: object, url: "sftp://backup@far.example.net//dup" }
jobs:
  files:
    kind: duplicity
    host: prod
    paths: [/srv]
    to: bucket
${extra}`;
  const run = (t: string) => checkText(t, { rules: [offsite], now: NOW }).findings;

  it('fires without a passphrase or a key (duplicity then writes --no-encryption), not with either', () => {
    const [f, ...rest] = run(text(''));
    expect(rest).toEqual([]);
    expect(f.message).toMatch(/passphrase_env/);
    expect(run(text('    passphrase_env: DUP_PW\n'))).toEqual([]);
    expect(run(text('    encrypt: { gpg: { recipient: ABCD1234 } }\n'))).toEqual([]);
  });
});
