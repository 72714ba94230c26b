// The `tool-config` step (pruner: sanoid|btrbk): the job's configuration written whole over the
// old one, its directory made 0700, the tool's cache removed first; locally, and on a "remote"
// host in one call whose paths reach the fixed script as arguments only.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { writeToolConfig } from '../../../engine/run/builtin/tool-config';
import { Hosts } from '../../../engine/run/exec/hosts';
import { shJoin } from '../../../engine/run/exec/quote';
import { Redactor } from '../../../engine/run/exec/redact';
import { host, plan } from './helpers';

const temps: string[] = [];
afterEach(() => {
  for (const d of temps.splice(0)) rmSync(d, { recursive: true, force: true });
});
function temp(): string {
  const d = mkdtempSync(join(tmpdir(), 'bp-toolconf-'));
  temps.push(d);
  return d;
}

/** A "remote" host run on this machine through `sh -c` of the quoted command string, as sshd does. */
class LoopbackHosts extends Hosts {
  readonly calls: string[][] = [];
  constructor(private readonly home: string) {
    super(plan({ hosts: [host('vault', { address: '192.0.2.1' })], jobs: [] }));
  }
  override isLocal(h: string): boolean {
    return h === 'local';
  }
  override ready(): Promise<void> {
    return Promise.resolve();
  }
  override argv(_host: string, argv: readonly string[]): string[] {
    this.calls.push([...argv]);
    return ['env', '-C', this.home, 'sh', '-c', shJoin(argv)];
  }
}

describe('writeToolConfig', () => {
  for (const where of ['local', 'vault']) {
    it(`${where}: writes the file whole over the old one, removes the cache first, leaves no temporary`, async () => {
      const d = temp();
      const home = join(d, 'home');
      mkdirSync(home);
      const hosts = new LoopbackHosts(home);
      const dir = join(d, "job $(touch CANARY) 'q'");
      const path = join(dir, 'sanoid.conf');
      const cache = join(dir, 'cache', 'snapshots.txt');
      const x = { hosts, redactor: new Redactor() };
      const op = { tool: 'sanoid' as const, path, content: '[tank/a]\n\thourly = 4\n', clear: [cache] };
      expect(await writeToolConfig(where, op, x)).toEqual({ ok: true });
      expect(readFileSync(path, 'utf8')).toBe(op.content);
      expect(statSync(dir).mode & 0o777).toBe(0o700);
      mkdirSync(join(dir, 'cache'));
      writeFileSync(cache, 'stale');
      expect(await writeToolConfig(where, { ...op, content: 'second\n' }, x)).toEqual({ ok: true });
      expect(readFileSync(path, 'utf8')).toBe('second\n');
      expect(readdirSync(dir).sort()).toEqual(['cache', 'sanoid.conf']);
      expect(readdirSync(join(dir, 'cache'))).toEqual([]);
      expect(readdirSync(home)).toEqual([]);
      expect(hosts.calls.length).toBe(where === 'local' ? 0 : 2);
    });
  }

  it('a remote failure names the host and the path', async () => {
    const d = temp();
    const hosts = new LoopbackHosts(d);
    writeFileSync(join(d, 'file'), '');
    const op = { tool: 'btrbk' as const, path: join(d, 'file', 'btrbk.conf'), content: 'x', clear: [] };
    const r = await writeToolConfig('vault', op, { hosts, redactor: new Redactor() });
    expect(r.ok).toBe(false);
    expect(r.message).toContain(`cannot write ${op.path} on vault`);
  });
});
