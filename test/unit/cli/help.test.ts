// Per-command help and usage errors, checked against the command table (cli/commands/table.ts),
// the one place that declares each command's options for both the parser and the help.
import { readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { optionSynopsis, usageLine, type CommandDecl } from '../../../cli/command';
import { COMMANDS, RETAIN_ENGINES } from '../../../cli/commands/table';
import { UsageError } from '../../../cli/errors';
import { parseCommandArgs } from '../../../cli/main';
import { ENGINE_IDS } from '../../../engine/retention';
import { EXPORT_TARGETS } from '../../../engine/export';
import { backplan, CLI, ensureBuilt, ROOT } from '../../helpers/cli';

const NAMES = ['check', 'simulate', 'retain', 'plan', 'run', 'prune', 'verify', 'restore', 'runbook', 'init', 'status', 'export'];

describe('the command table', () => {
  it('declares every command of the README, each with two examples and its exit codes', () => {
    expect(COMMANDS.map((c) => c.name).sort()).toEqual([...NAMES].sort());
    for (const c of COMMANDS) {
      expect(c.examples, c.name).toHaveLength(2);
      for (const [line] of c.examples) expect(line.startsWith(`backplan ${c.name} `), line).toBe(true);
      expect(c.exitCodes.map(([code]) => code), c.name).toContain(0);
      expect(c.exitCodes.map(([code]) => code), c.name).toContain(2);
      for (const o of c.options) {
        expect(o.meaning.length, `${c.name} --${o.name}`).toBeGreaterThan(0);
        // Every option says what happens without it: it is required or has a default.
        expect(o.required === true || o.default !== undefined, `${c.name} --${o.name} has no default`).toBe(true);
      }
    }
  });

  it('lists the pruning engines and export targets the engine knows', () => {
    expect([...RETAIN_ENGINES]).toEqual([...ENGINE_IDS]);
    const retainEngine = COMMANDS.find((c) => c.name === 'retain')!.options.find((o) => o.name === 'engine')!;
    expect(retainEngine.value).toBe(ENGINE_IDS.join('|'));
    const exportTo = COMMANDS.find((c) => c.name === 'export')!.options.find((o) => o.name === 'to')!;
    expect(exportTo.value).toBe(EXPORT_TARGETS.join('|'));
  });

  it('declares every option a command implementation reads (so none is refused by the parser)', () => {
    for (const c of COMMANDS) {
      const source = readFileSync(resolve(ROOT, `cli/commands/${c.name}.ts`), 'utf8');
      const read = new Set<string>();
      for (const m of source.matchAll(/cmd\.(?:string|options)\(?\[?'([a-z-]+)'/g)) read.add(m[1]);
      for (const m of source.matchAll(/timeOption\(cmd, '([a-z-]+)'\)/g)) read.add(m[1]);
      if (/sshOptions\(cmd\)/.test(source)) read.add('ssh-option');
      if (/perHostOption\(cmd\)/.test(source)) read.add('per-host');
      if (/loadPlanFor\(cmd/.test(source)) read.add('job'); // loadPlanFor checks --job
      if (/cmd\.format/.test(source)) read.add('format');
      expect(read.size, c.name).toBeGreaterThan(0);
      const declared = c.options.map((o) => o.name);
      for (const name of read) expect(declared, `${c.name} reads --${name}`).toContain(name);
    }
  });
});

describe('parsing against the table', () => {
  const sample = (c: CommandDecl) => {
    const args: string[] = [];
    for (const o of c.options) args.push(`--${o.name}`, ...(o.value === undefined ? [] : [o.choices?.[0] ?? 'x']));
    return args;
  };

  it('accepts every declared option, long and short, and refuses any other', () => {
    for (const c of COMMANDS) {
      const parsed = parseCommandArgs(c, ['PLAN', ...sample(c)]);
      expect(parsed.help).toBe(false);
      expect(parsed.positionals).toEqual(['PLAN']);
      for (const o of c.options) {
        expect(parsed.options[o.name], `${c.name} --${o.name}`).toEqual(o.value === undefined ? true : o.multiple ? [o.choices?.[0] ?? 'x'] : (o.choices?.[0] ?? 'x'));
        if (o.short) {
          const short = parseCommandArgs(c, [...sample(c).filter((_, i, a) => a[i] !== `--${o.name}`), `-${o.short}`, ...(o.value === undefined ? [] : [o.choices?.[0] ?? 'y'])]);
          expect(short.options[o.name], `${c.name} -${o.short}`).toBeDefined();
        }
      }
      const refuse = (args: string[]) => {
        try {
          parseCommandArgs(c, args);
        } catch (e) {
          expect(e).toBeInstanceOf(UsageError);
          expect((e as UsageError).command).toBe(c.name);
          return (e as UsageError).message;
        }
        throw new Error(`${c.name} ${args.join(' ')} was accepted`);
      };
      expect(refuse([...sample(c), '--not-an-option'])).toBe(`unknown option --not-an-option for ${c.name}`);
      expect(refuse([...sample(c), '-Z'])).toBe(`unknown option -Z for ${c.name}`);
      for (const o of c.options.filter((x) => x.required)) {
        const without = sample(c).filter((a, i, all) => a !== `--${o.name}` && all[i - 1] !== `--${o.name}`);
        expect(refuse(without)).toBe(`${c.name} needs ${optionSynopsis(o)}`);
      }
      for (const o of c.options.filter((x) => x.choices)) {
        expect(refuse([...sample(c), `--${o.name}`, 'no-such-choice'])).toContain(`use ${o.choices!.join(', ')}`);
      }
    }
  });

  it('--help anywhere before -- wins, even next to a bad option', () => {
    const run = COMMANDS.find((c) => c.name === 'run')!;
    expect(parseCommandArgs(run, ['plan.yaml', '--help']).help).toBe(true);
    expect(parseCommandArgs(run, ['--nope', '-h']).help).toBe(true);
    expect(() => parseCommandArgs(run, ['--nope', '--', '--help'])).toThrow(UsageError);
  });
});

describe('backplan COMMAND --help', () => {
  for (const c of COMMANDS) {
    it(`${c.name}: usage, every option with its meaning and default, two examples, exit codes — on stdout, exit 0`, () => {
      const r = backplan([c.name, '--help']);
      expect(r.code).toBe(0);
      expect(r.stderr).toBe('');
      const out = r.stdout;
      expect(out.startsWith(`backplan ${c.name} — ${c.summary}\n`)).toBe(true);
      expect(out).toContain(`Usage: ${usageLine(c)}\n`);
      const lines = out.split('\n');
      for (const o of c.options) {
        expect(usageLine(c), `usage line of ${c.name}`).toContain(optionSynopsis(o));
        const label = `  ${o.short ? `-${o.short}, ` : '    '}${optionSynopsis(o)}`;
        const i = lines.findIndex((l) => l === label || l.startsWith(`${label} `));
        expect(i, `${c.name} --${o.name} in the help`).toBeGreaterThan(0);
        // Its meaning and then its default (or "required") follow it, before the next option.
        let end = i + 1;
        while (end < lines.length && /^ {8,}\S/.test(lines[end])) end++;
        const block = lines.slice(i, end).join('\n');
        expect(block, `${c.name} --${o.name}`).toContain(o.meaning);
        expect(block, `${c.name} --${o.name}`).toContain(o.required ? 'required' : `default: ${o.default}`);
      }
      expect(out).toContain('-h, --help');
      for (const [line, what] of c.examples) expect(out).toContain(`  ${line}\n      ${what}\n`);
      const exits = out.slice(out.indexOf('Exit codes:'));
      for (const [code, what] of c.exitCodes) expect(exits).toContain(`  ${code}  ${what}\n`);
      // `backplan help COMMAND` and -h print the same text.
      expect(backplan(['help', c.name]).stdout).toBe(out);
      expect(backplan([c.name, '-h']).stdout).toBe(out);
    });
  }

  it('the README shows each command\'s usage line as the help prints it', () => {
    const readme = readFileSync(resolve(ROOT, 'README.md'), 'utf8');
    for (const c of COMMANDS) expect(readme, c.name).toContain(`\n${usageLine(c)}\n`);
  });

  it('an unknown option is one line on stderr plus the command\'s help hint, exit 2', () => {
    for (const c of COMMANDS) {
      const r = backplan([c.name, 'examples/local.backplan.yaml', '--definitely-not']);
      expect(r.code, c.name).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toBe(`backplan: unknown option --definitely-not for ${c.name}\nsee 'backplan ${c.name} --help'\n`);
    }
    const missing = backplan(['prune', 'examples/local.backplan.yaml']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toBe(`backplan: prune needs --job J\nsee 'backplan prune --help'\n`);
  });
});

describe('backplan --help', () => {
  it('lists every command with its one line and says how to get a command\'s help', () => {
    const r = backplan(['--help']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    for (const c of COMMANDS) expect(r.stdout).toMatch(new RegExp(`^  ${c.name} +${c.summary.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`, 'm'));
    expect(r.stdout).toContain('backplan COMMAND --help');
    expect(r.stdout).toContain('backplan help COMMAND');
    expect(backplan(['help']).stdout).toBe(r.stdout);
    expect(backplan(['-h']).stdout).toBe(r.stdout);
  });

  it('an unknown command is one line plus a hint, exit 2; no command at all is bad usage too', () => {
    for (const args of [['frobnicate'], ['help', 'frobnicate'], ['--frobnicate']]) {
      const r = backplan(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stdout).toBe('');
      const lines = r.stderr.split('\n');
      expect(lines, args.join(' ')).toHaveLength(3);
      expect(lines[0]).toMatch(/^backplan: unknown (command `frobnicate`|option --frobnicate)/);
      expect(lines[1]).toBe("see 'backplan --help'");
    }
    const none = backplan([]);
    expect(none.code).toBe(2);
    expect(none.stdout).toBe('');
    expect(none.stderr).toContain('backplan COMMAND --help');
  });

  it('--help loads no command implementation (no child_process, fs, crypto, zlib), a command does', () => {
    ensureBuilt();
    // Counted from the moment the bundle runs: dist/cli.js's loader reads the bundle and its code
    // cache with fs first, which is no command's work (scripts/cli-loader.cjs).
    const modules = (args: string[]) => {
      const script = `const M = require('module'); const load = M._load; const seen = new Set();
        M._load = function (r, ...a) { seen.add(r.replace(/^node:/, '')); return load.call(this, r, ...a); };
        const S = require('vm').Script.prototype; const run = S.runInThisContext;
        S.runInThisContext = function (...a) { seen.clear(); seen.add('(bundle)'); return run.apply(this, a); };
        process.on('exit', () => process.stderr.write('\\nMODULES ' + JSON.stringify([...seen])));
        process.argv = [process.execPath, ${JSON.stringify(CLI)}, ...${JSON.stringify(args)}];
        require(${JSON.stringify(CLI)});`;
      const r = spawnSync(process.execPath, ['-e', script], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
      return JSON.parse(/MODULES (.*)$/.exec(r.stderr)![1]) as string[];
    };
    for (const args of [['run', '--help'], ['help', 'simulate'], ['--help'], ['check', '--nope']]) {
      const loaded = modules(args);
      expect(loaded, 'the bundle ran through the loader').toContain('(bundle)');
      for (const heavy of ['child_process', 'fs', 'crypto', 'zlib']) expect(loaded, `${args.join(' ')} loaded ${heavy}`).not.toContain(heavy);
    }
    expect(modules(['run', 'examples/local.backplan.yaml', '--dry-run'])).toContain('child_process');
  });
});
