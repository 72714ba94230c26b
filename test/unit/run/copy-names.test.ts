// Copy names to the second, read back in both the new and the old (minute) form, and a `-N`
// suffix when the runner found the plain name taken where the copy goes.
import { describe, expect, it } from 'vitest';
import { DRIVERS } from '../../../engine/run/drivers/index';
import { nameTimeParser } from '../../../engine/run/steps/names';
import { utcStamp } from '../../../engine/run/steps/driver-kit';
import type { BuiltinStep, CommandStep, Step } from '../../../engine/run/steps/step';
import { host, job, plan, storage } from './helpers';

const NOW = Date.UTC(2026, 11, 3, 7, 19, 52);

describe('copy names', () => {
  it('are stamped to the second', () => {
    expect(utcStamp(NOW)).toBe('20261203T071952Z');
  });

  it('read back to the second, the old minute names too, with or without a suffix', () => {
    const parse = nameTimeParser('docs-*.tar.gz', undefined, 'UTC');
    expect(parse('docs-20261203T071952Z.tar.gz')).toBe(NOW);
    expect(parse('docs-20261203T071952Z-2.tar.gz')).toBe(NOW);
    expect(parse('docs-20261203T0719Z.tar.gz')).toBe(Date.UTC(2026, 11, 3, 7, 19));
    expect(parse('docs-20261203T071960Z.tar.gz')).toBeUndefined(); // no 60th second
    expect(parse('docs-20261203T071952Z-0.tar.gz')).toBeUndefined();
    expect(parse('docs-20261203T071952Z-x.tar.gz')).toBeUndefined();
    // rsync's bare stamps are listed with `*Z*`
    const rsync = nameTimeParser('*Z*', undefined, 'UTC');
    expect(rsync('20261203T071952Z')).toBe(NOW);
    expect(rsync('20261203T071952Z-3')).toBe(NOW);
    expect(rsync('20261203T0719Z')).toBe(Date.UTC(2026, 11, 3, 7, 19));
    expect(rsync('lost+found')).toBeUndefined();
    // a job's own pattern, suffixed
    const own = nameTimeParser('db-*-*.sql', 'db-%Y%m%d-%H%M', 'UTC');
    expect(own('db-20261203-0719-2.sql')).toBe(Date.UTC(2026, 11, 3, 7, 19));
  });

  const p = plan({
    hosts: [host('nas', { address: '192.0.2.20' })],
    storage: [storage('local', { path: '/srv/backup' }), storage('nas-disk', { host: 'nas', path: '/srv/backup' })],
    jobs: [
      job('docs', { kind: 'archive', paths: ['/etc'], to: 'local' }),
      job('db', { kind: 'pg-dump', host: 'nas', database: 'app', to: 'nas-disk' }),
      job('snaps', { kind: 'zfs-snapshot', host: 'nas', dataset: 'tank/data' }),
      job('tree', { kind: 'rsync', paths: ['/etc'], to: 'local' }),
    ],
  });
  const plan1 = (name: string, taken?: string[]): Step[] => {
    const r = DRIVERS[p.jobs.get(name)!.kind](p.jobs.get(name)!, p, {
      now: NOW,
      ...(taken ? { taken: { [name]: new Set(taken) } } : {}),
    });
    expect(r.errors).toEqual([]);
    return r.steps;
  };
  const archivePath = (steps: Step[]) => (steps.find((s) => s.type === 'builtin') as BuiltinStep).output!.path;
  const backup = (steps: Step[]) => steps.find((s) => s.phase === 'backup') as CommandStep;

  it('get the first free suffix when the name is taken, its partial or its manifest included', () => {
    expect(archivePath(plan1('docs'))).toBe('/srv/backup/docs/docs-20261203T071952Z.tar.gz');
    expect(archivePath(plan1('docs', ['docs-20261203T071952Z.tar.gz']))).toBe(
      '/srv/backup/docs/docs-20261203T071952Z-2.tar.gz',
    );
    expect(
      archivePath(plan1('docs', ['docs-20261203T071952Z.tar.gz', 'docs-20261203T071952Z-2.tar.gz.partial'])),
    ).toBe('/srv/backup/docs/docs-20261203T071952Z-3.tar.gz');
    expect(archivePath(plan1('docs', ['docs-20261203T071952Z.tar.gz.sha256']))).toMatch(/Z-2\.tar\.gz$/);
    // another job's names, and other extensions, do not count
    expect(archivePath(plan1('docs', ['docs-20261203T071952Z.sql']))).toMatch(/52Z\.tar\.gz$/);
    expect(backup(plan1('db', ['db-20261203T071952Z.dump'])).output!.path).toBe(
      '/srv/backup/db/db-20261203T071952Z-2.dump',
    );
    expect(backup(plan1('snaps', ['backplan-20261203T071952Z'])).argv).toEqual([
      'zfs',
      'snapshot',
      'tank/data@backplan-20261203T071952Z-2',
    ]);
    expect(backup(plan1('tree', ['20261203T071952Z'])).output!.path).toBe('/srv/backup/tree/20261203T071952Z-2');
  });
});
