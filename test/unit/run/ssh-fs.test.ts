// SshFs's one-call scripts (ssh-scripts.ts) on real files, without sshd: a Hosts whose remote
// host hands the command string to `sh -c` exactly as OpenSSH hands it to the login shell
// (every word quoted by shJoin), started in a scratch "home" directory where an injected
// `touch CANARY` would land. Counts the calls (each one an ssh round trip on a real host), and
// checks hostile names, the refusals and the errors that must name the host and the path.
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Hosts } from '../../../engine/run/exec/hosts';
import { SshFs } from '../../../engine/run/exec/files';
import { shJoin } from '../../../engine/run/exec/quote';
import { host, plan } from './helpers';

const temps: string[] = [];
afterEach(() => {
  for (const d of temps.splice(0)) {
    spawnSync('chmod', ['-R', 'u+rwx', d]);
    rmSync(d, { recursive: true, force: true });
  }
});
function temp(): string {
  const d = mkdtempSync(join(tmpdir(), 'bp-sshfs-'));
  temps.push(d);
  return d;
}

/** A "remote" host run on this machine through `sh -c` of the quoted command string. */
class LoopbackHosts extends Hosts {
  readonly calls: string[][] = [];
  constructor(
    private readonly home: string,
    private readonly prefix: string[] = [],
    private readonly down = false,
  ) {
    super(plan({ hosts: [host('vault', { address: '192.0.2.1' })], jobs: [] }));
  }
  override isLocal(): boolean {
    return false;
  }
  override ready(): Promise<void> {
    return Promise.resolve();
  }
  override argv(_host: string, argv: readonly string[]): string[] {
    this.calls.push([...argv]);
    if (this.down)
      return ['sh', '-c', 'echo "ssh: connect to host 192.0.2.1 port 22: Connection refused" >&2; exit 255'];
    return [...this.prefix, 'env', '-C', this.home, 'sh', '-c', shJoin(argv)];
  }
}

// Every kind of name a shell would act on: command substitution, backticks, `;`, both quotes,
// a newline, a glob, and a leading dash (a name read as an option by a tool without `--`).
const HOSTILE = ['-rf $(touch CANARY) `touch CANARY`; touch CANARY \'q\' "dq" *', '-n', 'line\nbreak $(touch CANARY)'];

function setup(): { d: string; home: string; hosts: LoopbackHosts; fs: SshFs } {
  const d = temp();
  const home = join(d, 'home');
  mkdirSync(home);
  const hosts = new LoopbackHosts(home);
  return { d, home, hosts, fs: new SshFs('vault', hosts) };
}

async function writeRemote(fs: SshFs, partial: string, text: string): Promise<void> {
  const w = await fs.createWriter(partial);
  w.stream.end(text);
  await w.finish();
}

function noCanary(d: string): void {
  expect(spawnSync('find', [d, '-name', 'CANARY'], { encoding: 'utf8' }).stdout).toBe('');
  expect(existsSync(join(process.cwd(), 'CANARY'))).toBe(false);
}

describe('SshFs: one remote call per listing and per commit', () => {
  it('lists, commits and writes an output with its manifest under hostile names, one call each, and no injected ' +
    'command runs', async () => {
    for (const name of HOSTILE) {
      const { d, hosts, fs } = setup();
      const dir = join(d, name, name);
      expect(await fs.list(dir)).toBeUndefined();
      expect(hosts.calls).toHaveLength(1);
      mkdirSync(dir, { recursive: true });

      // An output with its manifest: one call writes the manifest and gives both their names.
      const out = { partial: join(dir, `${name}.tar.gz.partial`), path: join(dir, `${name}.tar.gz`) };
      const man = { partial: `${out.path}.sha256.partial`, path: `${out.path}.sha256` };
      await writeRemote(fs, out.partial, 'archive bytes');
      hosts.calls.length = 0;
      await fs.commitWithManifest(out, man, `manifest of ${name}\n`);
      expect(hosts.calls).toHaveLength(1);
      expect(readdirSync(dir).sort()).toEqual([`${name}.tar.gz`, `${name}.tar.gz.sha256`]);
      expect(readFileSync(out.path, 'utf8')).toBe('archive bytes');
      expect(readFileSync(man.path, 'utf8')).toBe(`manifest of ${name}\n`);

      // A plain file output (a dump): one call.
      const dump = { partial: join(dir, `${name}.sql.partial`), path: join(dir, `${name}.sql`) };
      await writeRemote(fs, dump.partial, 'dump');
      hosts.calls.length = 0;
      await fs.commit(dump.partial, dump.path, 'file');
      expect(hosts.calls).toHaveLength(1);

      // A directory output (rsync): one call.
      const tree = { partial: join(dir, `${name}.d.partial`), path: join(dir, `${name}.d`) };
      mkdirSync(tree.partial);
      writeFileSync(join(tree.partial, 'f'), 'x');
      hosts.calls.length = 0;
      await fs.commit(tree.partial, tree.path, 'directory');
      expect(hosts.calls).toHaveLength(1);

      hosts.calls.length = 0;
      const listed = await fs.list(dir);
      expect(hosts.calls).toHaveLength(1);
      expect(listed!.sort((a, b) => (a.name < b.name ? -1 : 1))).toEqual(
        [
          { name: `${name}.d`, type: 'directory' },
          { name: `${name}.sql`, type: 'file' },
          { name: `${name}.tar.gz`, type: 'file' },
          { name: `${name}.tar.gz.sha256`, type: 'file' },
        ].sort((a, b) => (a.name < b.name ? -1 : 1)),
      );
      // Every remote call is the fixed script or a plain argv; the names are separate words.
      noCanary(d);
    }
  });

  it('removes a copy and its manifest in one call: both renamed to `.deleting-` names first (an old leftover of ' +
    'the same name replaced), then deleted; hostile names stay names', async () => {
    for (const name of HOSTILE) {
      const { d, hosts, fs } = setup();
      const dir = join(d, name);
      mkdirSync(join(dir, `${name}.d`, 'sub'), { recursive: true });
      writeFileSync(join(dir, `${name}.d`, 'sub', 'f'), 'x');
      writeFileSync(join(dir, `${name}.tar.gz`), 'a');
      writeFileSync(join(dir, `${name}.tar.gz.sha256`), 'm');
      // A leftover of an interrupted removal of the same directory name.
      mkdirSync(join(dir, `.deleting-${name}.d`, 'old'), { recursive: true });
      writeFileSync(join(dir, 'keep'), 'k');
      hosts.calls.length = 0;
      await fs.removeAll([
        { path: join(dir, `${name}.tar.gz`), type: 'file' },
        { path: join(dir, `${name}.tar.gz.sha256`), type: 'file' },
      ]);
      await fs.remove(join(dir, `${name}.d`), 'directory');
      // A name already gone is not an error.
      await fs.remove(join(dir, 'gone'), 'file');
      expect(hosts.calls).toHaveLength(3);
      expect(readdirSync(dir)).toEqual(['keep']);
      noCanary(d);
    }
  });

  it('never replaces a copy: an existing archive, manifest or directory makes the commit fail, naming the host and ' +
    'the path', async () => {
    const { d, fs } = setup();
    const out = { partial: join(d, 'a.tar.gz.partial'), path: join(d, 'a.tar.gz') };
    const man = { partial: `${out.path}.sha256.partial`, path: `${out.path}.sha256` };
    writeFileSync(out.path, 'old archive');
    await writeRemote(fs, out.partial, 'new archive');
    await expect(fs.commitWithManifest(out, man, 'new manifest')).rejects.toThrow(
      `${out.path} already exists on vault; a copy is never replaced (something else wrote that name while this run was writing)`,
    );
    expect(readFileSync(out.path, 'utf8')).toBe('old archive');
    // Nothing was written for the manifest; the archive's partial is the caller's to remove.
    expect(readdirSync(d).sort()).toEqual(['a.tar.gz', 'a.tar.gz.partial', 'home']);

    // A manifest left without its archive (a crash between the two links) is not replaced
    // either, and the archive does not take its name without it.
    rmSync(out.path);
    writeFileSync(man.path, 'orphan manifest');
    await expect(fs.commitWithManifest(out, man, 'new manifest')).rejects.toThrow(
      new RegExp(`^cannot give ${man.partial} its final name ${man.path} on vault: ln failed: .*File exists$`),
    );
    expect(readFileSync(man.path, 'utf8')).toBe('orphan manifest');
    expect(readdirSync(d).sort()).toEqual(['a.tar.gz.partial', 'a.tar.gz.sha256', 'home']);

    // A plain file and a directory (also over a dangling symlink, which `mv -T` would replace).
    writeFileSync(join(d, 'f'), 'old');
    writeFileSync(join(d, 'f.partial'), 'new');
    await expect(fs.commit(join(d, 'f.partial'), join(d, 'f'), 'file')).rejects.toThrow(
      new RegExp(`^cannot give ${d}/f.partial its final name ${d}/f on vault: ln failed: .*File exists$`),
    );
    expect(readFileSync(join(d, 'f'), 'utf8')).toBe('old');
    mkdirSync(join(d, 't.partial'));
    mkdirSync(join(d, 't'));
    await expect(fs.commit(join(d, 't.partial'), join(d, 't'), 'directory')).rejects.toThrow(
      `${d}/t already exists on vault; a copy is never replaced`,
    );
    symlinkSync(join(d, 'nowhere'), join(d, 'u'));
    await expect(fs.commit(join(d, 't.partial'), join(d, 'u'), 'directory')).rejects.toThrow(
      `${d}/u already exists on vault; a copy is never replaced`,
    );
    expect(existsSync(join(d, 't.partial'))).toBe(true);
  });

  it('takes the manifest back when the archive cannot take its name, so nothing looks whole', async () => {
    const { d, fs } = setup();
    // The archive's partial is missing: its link fails after the manifest's succeeded.
    const out = { partial: join(d, 'a.tar.gz.partial'), path: join(d, 'a.tar.gz') };
    const man = { partial: `${out.path}.sha256.partial`, path: `${out.path}.sha256` };
    await expect(fs.commitWithManifest(out, man, 'manifest')).rejects.toThrow(
      new RegExp(`^cannot give ${out.partial} its final name ${out.path} on vault: ln failed: .*No such file`),
    );
    expect(readdirSync(d)).toEqual(['home']);
  });

  it('tells a missing directory from an unreadable one and from an unreachable host', async () => {
    const { d, fs } = setup();
    expect(await fs.list(join(d, 'missing'))).toBeUndefined();
    const down = new SshFs('vault', new LoopbackHosts(d, [], true));
    await expect(down.list(join(d, 'missing'))).rejects.toThrow(
      `cannot list ${d}/missing on vault: find exited with status 255: ssh: connect to host 192.0.2.1 port 22: ` +
        `Connection refused`,
    );
    await expect(down.commit(join(d, 'x.partial'), join(d, 'x'), 'file')).rejects.toThrow(
      `cannot give ${d}/x.partial its final name ${d}/x on vault: ln exited with status 255: ssh: connect`,
    );
    await expect(
      down.commitWithManifest(
        { partial: join(d, 'a.partial'), path: join(d, 'a') },
        { partial: join(d, 'a.sha256.partial'), path: join(d, 'a.sha256') },
        'm',
      ),
    ).rejects.toThrow(
      `cannot give ${d}/a.partial and its manifest their final names on vault: sh exited with status 255: ssh: connect`,
    );

    // An unreadable directory is an error, never "no copies yet" (root reads anything, so the
    // check runs as nobody when the test runs as root).
    const locked = join(d, 'locked');
    mkdirSync(locked);
    writeFileSync(join(locked, 'a.tar.gz'), 'x');
    chmodSync(d, 0o755);
    chmodSync(locked, 0o000);
    const asNobody = process.getuid?.() === 0 ? ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups'] : [];
    const nobody = new SshFs('vault', new LoopbackHosts('/', asNobody));
    await expect(nobody.list(locked)).rejects.toThrow(
      new RegExp(`^cannot list ${locked} on vault: find exited with status 1: .*Permission denied$`),
    );
  });
});
