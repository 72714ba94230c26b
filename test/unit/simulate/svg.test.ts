// timelineSvg: a well-formed standalone SVG, one mark group per held snapshot, one labelled row
// per rule, escaped text, deterministic, small.
import { describe, expect, it } from 'vitest';
import { buildModel } from '../../../engine/plan/build-model';
import { simulateJob, type SimulatedJob } from '../../../engine/simulate/simulate-job';
import { calendarTicks, escapeXml, timelineSvg } from '../../../engine/simulate/svg';
import { rowsOfReasons } from '../../../engine/simulate/rules';

/** A small well-formedness check: balanced tags, quoted attributes, no stray `<` or `&`. */
function checkXml(xml: string): string[] {
  const problems: string[] = [];
  const stack: string[] = [];
  const tag = /<(\/?)([A-Za-z][\w:-]*)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)>/g;
  let last = 0;
  let m: RegExpExecArray | null;
  const text = (s: string) => {
    if (s.includes('<') || s.includes('>')) problems.push(`stray angle bracket in ${JSON.stringify(s.slice(0, 40))}`);
    if (/&(?!amp;|lt;|gt;|quot;|#39;)/.test(s)) problems.push(`unescaped & in ${JSON.stringify(s.slice(0, 40))}`);
  };
  while ((m = tag.exec(xml))) {
    text(xml.slice(last, m.index));
    last = tag.lastIndex;
    const [, close, name, attrs, self] = m;
    for (const a of attrs.matchAll(/="([^"]*)"/g)) text(a[1]);
    if (close) {
      if (stack.pop() !== name) problems.push(`</${name}> closes the wrong element`);
    } else if (!self) stack.push(name);
  }
  text(xml.slice(last));
  if (stack.length > 0) problems.push(`unclosed: ${stack.join(', ')}`);
  return problems;
}

const plan = buildModel({
  version: 1,
  timezone: 'Europe/Paris',
  policies: {
    minet: {
      tiers: [{ keep: 'all', until: '15d' }, { every: '1d', until: '1mo' }, { every: '2d', until: '2mo' }, { every: '1w', until: '6mo' }, { every: '1mo' }],
    },
    gfs: { keep: { last: 3, hourly: 24, daily: 7, weekly: 4, monthly: 12, yearly: 3 } },
    dense: { tiers: [{ keep: 'all', until: '20d' }, { every: '1d' }] },
  },
  jobs: {
    'vm-snapshots': { kind: 'zfs-snapshot', schedule: '0 */6 * * *', retention: 'minet' },
    repo: { kind: 'restic', schedule: '0 * * * *', retention: 'gfs' },
    dense: { kind: 'rsync', schedule: '0 * * * *', retention: 'dense' },
  },
});
const from = Date.UTC(2025, 0, 1);
const at = Date.UTC(2026, 0, 1);

describe('timelineSvg', () => {
  const job = simulateJob(plan, 'vm-snapshots', { from, at });
  const svg = timelineSvg(job);

  it('is a well-formed standalone SVG', () => {
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    expect(checkXml(svg)).toEqual([]);
    expect(svg).not.toMatch(/url\(|@import|<image|href=/);
  });

  it('draws one mark group per held snapshot, with its time and reasons as hover text', () => {
    const groups = svg.match(/<g class="snapshot">/g) ?? [];
    expect(groups.length).toBe(job.stats.count);
    expect(job.stats.count).toBe(115);
    const dots = svg.match(/<circle /g) ?? [];
    expect(dots.length).toBe(job.snapshots.reduce((n, s) => n + rowsOfReasons(s.reasons).length, 0));
    expect(svg).toContain(`<title>${escapeXml(`${job.snapshots[0].time} — ${job.snapshots[0].reasons.join('; ')}`)}</title>`);
  });

  it('labels one row per rule (plus the "held" row), with the counts', () => {
    const labels = [...svg.matchAll(/<text class="rule" data-rule="([^"]*)"[^>]*>([^<]*)<\/text>/g)].map((m) => [m[1], m[2]]);
    expect(labels).toEqual([
      ['*', 'held (115)'],
      ['tier-1', 'keep all &lt; 15d (60)'],
      ['tier-2', '1/day &lt; 1mo (16)'],
      ['tier-3', '1/2d &lt; 2mo (15)'],
      ['tier-4', '1/week &lt; 6mo (17)'],
      ['tier-5', '1/month (7)'],
    ]);
  });

  it('titles the picture with the job, engine, count, oldest and as-of date', () => {
    expect(svg).toContain('vm-snapshots — native — 115 snapshots held at 2026-01-01 01:00');
    expect(svg).toContain('oldest 2025-01-01 06:00');
    expect(svg).toContain('as of 2026-01-01 01:00 (Europe/Paris)');
  });

  it('has calendar ticks on the axis', () => {
    expect(svg).toContain('>Apr 2025<');
    expect(svg).toContain('>Jul<');
    expect(svg).toContain('>Jan 2026<');
  });

  it('is deterministic', () => {
    expect(timelineSvg(simulateJob(plan, 'vm-snapshots', { from, at }))).toBe(svg);
  });

  it('labels restic rows by rule', () => {
    const r = timelineSvg(simulateJob(plan, 'repo', { from, at: from + 40 * 86_400_000 }));
    const labels = [...r.matchAll(/<text class="rule" data-rule="([^"]*)"/g)].map((m) => m[1]);
    expect(labels).toEqual(['*', 'last', 'hourly', 'daily', 'weekly', 'monthly', 'yearly']);
    expect(checkXml(r)).toEqual([]);
  });

  it('escapes every text', () => {
    const odd: SimulatedJob = {
      ...job,
      job: 'a<b>&"c\'',
      snapshots: [{ time: job.snapshots[0].time, reasons: ['<script>alert("x")</script> & more'] }],
      rules: [{ id: 'x"y', label: '<&>', count: 1 }],
    };
    const out = timelineSvg(odd, { title: 'T <&> "q"' });
    expect(checkXml(out)).toEqual([]);
    expect(out).not.toContain('<script>');
    expect(out).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; more');
    expect(out).toContain('T &lt;&amp;&gt; &quot;q&quot;');
  });

  it('stays under 200 KB for 500 marks', () => {
    const dense = simulateJob(plan, 'dense', { from, at: from + 40 * 86_400_000 });
    expect(dense.stats.count).toBeGreaterThanOrEqual(500);
    const out = timelineSvg(dense);
    expect((out.match(/<g class="snapshot">/g) ?? []).length).toBe(dense.stats.count);
    expect(out.length).toBeLessThan(200_000);
  });

  it('matches the stored picture of a small case', () => {
    const small = simulateJob(plan, 'vm-snapshots', { from, at: from + 2 * 86_400_000 });
    expect(timelineSvg(small, { width: 600 })).toMatchSnapshot();
  });
});

describe('calendarTicks', () => {
  it('puts month ticks at local midnight on the 1st', () => {
    const ticks = calendarTicks(Date.UTC(2025, 0, 15), Date.UTC(2025, 5, 15), 'Europe/Paris', 10);
    expect(ticks.map((t) => t.label)).toEqual(['Feb 2025', 'Mar', 'Apr', 'May', 'Jun']);
    expect(new Date(ticks[0].t).toISOString()).toBe('2025-01-31T23:00:00.000Z');
    expect(new Date(ticks[3].t).toISOString()).toBe('2025-04-30T22:00:00.000Z');
  });

  it('uses hours for short spans', () => {
    const ticks = calendarTicks(Date.UTC(2025, 0, 1, 22), Date.UTC(2025, 0, 2, 10), 'UTC', 8);
    expect(ticks.map((t) => t.label)).toEqual(['Jan 2', '03:00', '06:00', '09:00']);
  });
});
