// The preflight of a job (engine/run/exec/preflight.ts): which programs each host must have,
// and the check itself on this machine, with names that try to inject commands passed as
// arguments only.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { PlanModel } from '../../../engine/plan/model';
import { Hosts } from '../../../engine/run/exec/hosts';
import { preflight, programsByHost } from '../../../engine/run/exec/preflight';
import type { Step } from '../../../engine/run/steps/step';

const base = { job: 'j', phase: 'backup' as const, description: 'd', after: [] };
const command = (id: string, host: string, argv: string[], pipe?: { host: string; argv: string[] }[]): Step => ({
  ...base,
  id,
  type: 'command',
  host,
  argv,
  ...(pipe ? { pipe } : {}),
});

describe('programsByHost', () => {
  it('collects the first word of every command and pipeline stage per host, once each; prunes need none', () => {
    const steps: Step[] = [
      command('j/1', 'local', ['mkdir', '-p', '--', '/x']),
      command(
        'j/2',
        'db',
        ['pg_dump', 'app'],
        [
          { host: 'local', argv: ['gpg', '--encrypt'] },
          { host: 'db', argv: ['pg_dump', 'other'] },
        ],
      ),
      { ...base, id: 'j/3', type: 'prune', phase: 'prune', host: 'local', prune: {} as never },
    ];
    expect([...programsByHost(steps)]).toEqual([
      ['local', ['mkdir', 'gpg']],
      ['db', ['pg_dump']],
    ]);
  });
});

describe('preflight on this machine', () => {
  const hosts = new Hosts({ hosts: new Map() } as unknown as PlanModel);

  it('passes when every program is there', async () => {
    expect(
      await preflight(
        [command('j/1', 'local', ['sh', '-c', 'true']), command('j/2', 'local', [process.execPath])],
        hosts,
      ),
    ).toBeUndefined();
  });

  it('names each missing program, and runs none of them', async () => {
    const msg = await preflight(
      [
        command('j/1', 'local', ['sh']),
        command('j/2', 'local', ['backplan-no-such-program-1']),
        command('j/3', 'local', ['/nonexistent/velero']),
      ],
      hosts,
    );
    expect(msg).toMatch(
      new RegExp(
        '^backplan-no-such-program-1 is not installed on this machine: `command -v backplan-no-such-program-1` ' +
          'finds nothing on its PATH .*nothing was run; /nonexistent/velero is not installed on this machine: ',
      ),
    );
  });

  it('passes hostile names as arguments: no command in them ever runs', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bp-preflight-'));
    try {
      const canary = join(dir, 'CANARY');
      const names = [
        `$(touch ${canary})`,
        `\`touch ${canary}\``,
        `x; touch ${canary}`,
        `x' ; touch '${canary}`,
        `x\ntouch ${canary}`,
        '-v',
      ];
      const msg = await preflight(
        names.map((n, i) => command(`j/${i}`, 'local', [n])),
        hosts,
      );
      for (const n of names.slice(0, 5)) expect(msg).toContain(`${n} is not installed`);
      expect(existsSync(canary)).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
