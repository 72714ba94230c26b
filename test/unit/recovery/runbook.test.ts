// backplan runbook (SPEC §11): the runbook's content (what is lost, surviving copies, order,
// secrets by name, unrecoverable data first), its determinism, the standalone HTML, every example,
// and a golden Markdown of one example.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadPlan } from '../../../cli/load-plan';
import { buildModel } from '../../../engine/plan/build-model';
import { parsePlan } from '../../../engine/plan/parse';
import { renderHtml, renderJson, renderMarkdown } from '../../../engine/recovery/render';
import { buildRunbook, type RunbookInput } from '../../../engine/recovery/runbook';

const AT = Date.parse('2026-06-01T03:00:00Z');
const model = (text: string) => buildModel(parsePlan(text).value);
const book = (text: string, extra: Partial<RunbookInput> = {}) =>
  buildRunbook({ plan: model(text), planPath: 'site.backplan.yaml', now: AT, fixed: true, ...extra });

const PLAN = `version: 1
hosts:
  app: { address: 10.0.0.2, site: a }
  nas: { address: 10.0.0.3, site: b, identity: /root/.ssh/nas_key }
storage:
  local: { host: app, media: ssd, path: /srv/backup }
  nas-share: { host: nas, media: hdd, path: /srv/nas }
  bucket: { site: cloud, media: object, url: "s3:https://s3.example.net/b" }
jobs:
  files:
    kind: restic
    host: app
    paths: [/srv/www]
    to: bucket
    password_env: RESTIC_PASSWORD
    after: [uploads]
    rto: 2h
  uploads:
    kind: rsync
    host: app
    paths: [/srv/uploads]
    to: nas-share
  db:
    kind: pg-dump
    host: app
    database: shop
    to: nas-share
    encrypt: { gpg: { recipient: ops@example.org } }
  scratch:
    kind: archive
    host: app
    paths: [/srv/scratch]
    to: local
`;

describe('runbook content', () => {
  it('orders dumps first, then the jobs a restore needs first (after:), then plan order', () => {
    const c = book(PLAN, { lost: ['app'] }).chapters[0];
    expect(c.steps.map((s) => s.job)).toEqual(['db', 'uploads', 'files']);
    expect(c.steps[2].needs).toEqual(['uploads']);
    expect(c.steps[0].backplan).toEqual([
      'backplan', 'restore', 'site.backplan.yaml', '--job', 'db', '--from-storage', 'nas-share', '--to', 'shop', '--dry-run',
    ]);
    expect(c.steps[2].backplan).toEqual([
      'backplan', 'restore', 'site.backplan.yaml', '--job', 'files', '--from-storage', 'bucket', '--to', '/srv/restore/files', '--dry-run',
    ]);
    // the tool argv comes from the kind's restorer: restic restore into TARGET.partial
    expect(c.steps[2].tool?.some((a) => a.argv?.includes('restore') && a.argv.includes('--target=/srv/restore/files.partial'))).toBe(true);
  });

  it('lists data with no copy off the lost host as unrecoverable, first in the Markdown and red in the HTML', () => {
    const r = book(PLAN, { lost: ['app'] });
    expect(r.chapters[0].unrecoverable).toEqual([
      expect.objectContaining({ data: '/srv/scratch', roots: ['scratch'], why: expect.stringContaining('every copy is on app') }),
    ]);
    const md = renderMarkdown(r);
    expect(md.indexOf('/srv/scratch')).toBeLessThan(md.indexOf('## If `app` is lost'));
    expect(md).toContain('> [!CAUTION]');
    const html = renderHtml(r);
    expect(html).toMatch(/<div class="unrecoverable">.*\/srv\/scratch/s);
    expect(html).toMatch(/\.unrecoverable\{[^}]*#c00/);
  });

  it('names secrets (env variables, files, ssh identities, gpg keys), never their values', () => {
    process.env.RESTIC_PASSWORD = 'hunter2-very-secret';
    const r = book(PLAN, { lost: ['app'] });
    const names = r.chapters[0].secrets.map((s) => [s.name, s.type]);
    expect(names).toEqual(
      expect.arrayContaining([
        ['RESTIC_PASSWORD', 'env'],
        ['the gpg secret key of ops@example.org', 'gpg-key'],
        ['/root/.ssh/nas_key', 'ssh-identity'],
      ]),
    );
    for (const text of [renderMarkdown(r), renderHtml(r), renderJson(r)]) expect(text).not.toContain('hunter2');
    delete process.env.RESTIC_PASSWORD;
  });

  it('a lost storage host only loses copies: nothing to restore, the copies listed', () => {
    const c = book(PLAN, { lost: ['nas'] }).chapters[0];
    expect(c.steps).toEqual([]);
    expect(c.unrecoverable).toEqual([]);
    expect(c.lostCopies.map((l) => l.via).sort()).toEqual(['db', 'uploads']);
  });

  it('reads copy ages against rpo and measured restores against rto from the journals', () => {
    const r = book(PLAN.replace('    rto: 2h', '    rto: 2h\n    rpo: 1d'), {
      lost: ['app'],
      journal: {
        lastSuccess: new Map([['files', '2026-05-30T03:00:00.000Z']]),
        restores: new Map([
          ['files', { at: '2026-05-01T00:00:00Z', seconds: 3600, via: 'verify' as const }],
          ['uploads', { at: '2026-05-01T00:00:00Z', seconds: 4000, via: 'restore' as const }],
        ]),
      },
    });
    const files = r.chapters[0].steps.find((s) => s.job === 'files')!;
    expect(files.copyAge).toEqual({ newest: '2026-05-30T03:00:00.000Z', ageSeconds: 2 * 86400, rpo: '1d', ok: false });
    expect(files.restoreTime).toEqual({ rto: '2h', seconds: 7600, unmeasured: [], ok: false });
    expect(renderMarkdown(r)).toContain('last measured restore, chain included: 2 h 6 min against rto 2h: EXCEEDED');
  });

  it('is deterministic: the same input gives the same bytes; without --at only the header says when', () => {
    for (const render of [renderMarkdown, renderHtml, renderJson]) expect(render(book(PLAN))).toBe(render(book(PLAN)));
    const free = renderMarkdown(book(PLAN, { fixed: false }));
    expect(free).toContain('Generated at 2026-06-01T03:00:00.000Z.');
    expect(renderMarkdown(book(PLAN))).not.toContain('Generated at');
  });

  it('writes a standalone HTML page: no URL fetched, no stylesheet link, no script', () => {
    const html = renderHtml(book(PLAN));
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(html).toContain('<style>');
    expect(html).not.toMatch(/<link\b/i);
    expect(html).not.toMatch(/<script\b/i);
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//i);
    // the one URL of the plan (a bucket) is text, escaped, never a link
    expect(html).not.toMatch(/href="https?:/);
  });

  it('refuses an unknown --lost host', () => {
    expect(() => book(PLAN, { lost: ['ap'] })).toThrow(/no host `ap`/);
  });
});

describe('the examples', () => {
  const dir = resolve(__dirname, '../../../examples');
  const files = readdirSync(dir).filter((f) => f.endsWith('.backplan.yaml')).sort();
  it.each(files)('%s produces a runbook in every format', (f) => {
    const loaded = loadPlan(join(dir, f));
    expect(loaded.errors).toEqual([]);
    const r = buildRunbook({ plan: loaded.model, planPath: `examples/${f}`, now: AT, fixed: true, baseDir: dir });
    expect(r.chapters.length).toBe(loaded.model.hosts.size);
    expect(renderMarkdown(r)).toMatch(/^# Disaster recovery runbook/);
    expect(renderHtml(r)).toContain('</html>');
    expect(JSON.parse(renderJson(r)).chapters).toHaveLength(r.chapters.length);
  });

  it('zfs-proxmox: the Markdown is the golden file (UPDATE_GOLDEN=1 rewrites it)', () => {
    const golden = resolve(__dirname, '../../fixtures/runbook/zfs-proxmox.md');
    const path = join(dir, 'zfs-proxmox.backplan.yaml');
    const loaded = loadPlan(path);
    const md = renderMarkdown(buildRunbook({ plan: loaded.model, planPath: 'examples/zfs-proxmox.backplan.yaml', now: AT, fixed: true, baseDir: dirname(path) }));
    if (process.env.UPDATE_GOLDEN) writeFileSync(golden, md);
    expect(md).toBe(readFileSync(golden, 'utf8'));
  });
});
