// The host and value checks of exec/quote.ts one branch at a time, with the exact messages a
// user reads (found missing by mutation testing: the hostile-word tests cover quoting itself).
import { describe, expect, it } from 'vitest';
import {
  absPathProblem,
  displayArgv,
  displayQuote,
  hostProblems,
  isLocalHost,
  nameProblem,
  QuoteError,
  shQuote,
  sshArgv,
  sshDestination,
} from '../../../engine/run/exec/quote';
import { host } from './helpers';

describe('isLocalHost', () => {
  it('no host, no address, an empty one and the loopback names are this machine', () => {
    expect(isLocalHost(undefined)).toBe(true);
    expect(isLocalHost(host('a'))).toBe(true);
    expect(isLocalHost(host('a', { address: null }))).toBe(true);
    expect(isLocalHost(host('a', { address: '' }))).toBe(true);
    for (const address of ['localhost', '127.0.0.1', '::1']) expect(isLocalHost(host('a', { address }))).toBe(true);
  });

  it('any other address is remote, including other loopback spellings', () => {
    expect(isLocalHost(host('a', { address: '192.0.2.1' }))).toBe(false);
    expect(isLocalHost(host('a', { address: 'localhost.localdomain' }))).toBe(false);
    expect(isLocalHost(host('a', { address: 12 }))).toBe(false);
  });
});

describe('hostProblems', () => {
  it('a well-formed host, and one with no connection fields at all, have none', () => {
    expect(hostProblems(host('h', { address: 'h.example', user: 'backup', port: 22, identity: '/k' }))).toEqual([]);
    expect(hostProblems(host('h'))).toEqual([]);
    expect(hostProblems(host('h', { address: null, user: null, port: null, identity: null }))).toEqual([]);
  });

  it('names each wrong field with its own message', () => {
    expect(hostProblems(host('h', { address: '' }))).toEqual(['host h: address must be a non-empty string']);
    expect(hostProblems(host('h', { address: 7 }))).toEqual(['host h: address must be a non-empty string']);
    expect(hostProblems(host('h', { address: 'ok', user: '' }))).toEqual(['host h: user must be a non-empty string']);
    expect(hostProblems(host('h', { address: 'ok', user: 3 }))).toEqual(['host h: user must be a non-empty string']);
    expect(hostProblems(host('h', { address: 'ok', identity: '' }))).toEqual(['host h: identity must be a path']);
    expect(hostProblems(host('h', { address: 'ok', identity: 1 }))).toEqual(['host h: identity must be a path']);
    expect(hostProblems(host('h', { address: 'ok', identity: '/a\nb' }))).toEqual([
      "host h: identity `/a\nb` must be a file path (it starts with '-' or holds control characters)",
    ]);
    expect(hostProblems(host('h', { address: 'a\tb' }))[0]).toMatch(/characters not allowed/);
    expect(hostProblems(host('h', { address: 'ok', user: 'a\u0007' }))[0]).toMatch(/not a valid login name/);
  });

  it('ports 1 and 65535 are valid, 0, 65536 and 22.5 are not', () => {
    expect(hostProblems(host('h', { address: 'ok', port: 1 }))).toEqual([]);
    expect(hostProblems(host('h', { address: 'ok', port: 65535 }))).toEqual([]);
    for (const port of [0, 65536, 22.5, '22'])
      expect(hostProblems(host('h', { address: 'ok', port }))).toEqual([
        'host h: port must be an integer from 1 to 65535',
      ]);
  });
});

describe('sshDestination and sshArgv', () => {
  it('user@address, or the address alone; refuses a host without address', () => {
    expect(sshDestination(host('h', { address: 'h.example', user: 'u' }))).toBe('u@h.example');
    expect(sshDestination(host('h', { address: 'h.example' }))).toBe('h.example');
    expect(() => sshDestination(host('h'))).toThrow(new QuoteError('host h has no address'));
    expect(() => sshDestination(host('h', { address: '' }))).toThrow(new QuoteError('host h has no address'));
  });

  it('no -p and no -i without port and identity', () => {
    expect(sshArgv(host('x', { address: 'x.example' }), ['true'])).toEqual([
      'ssh', '-o', 'BatchMode=yes', '-o', 'ConnectTimeout=10', '-o', 'ServerAliveInterval=15',
      '-o', 'ServerAliveCountMax=4', '--', 'x.example', "'true'",
    ]);
    expect(sshArgv(host('x', { address: 'x.example', port: null }), ['true'])).not.toContain('-p');
  });

  it('connection sharing: each option after its own -o, persisting 60 s by default', () => {
    const opts = { controlPath: '/run/bp/%C', connectTimeout: 4 };
    const argv = sshArgv(host('x', { address: 'x.example' }), ['true'], opts);
    expect(argv.slice(3, 15)).toEqual([
      '-o', 'ConnectTimeout=4', '-o', 'ServerAliveInterval=15', '-o', 'ServerAliveCountMax=4',
      '-o', 'ControlMaster=auto', '-o', 'ControlPath=/run/bp/%C', '-o', 'ControlPersist=60',
    ]);
  });

  it('joins every host problem into its refusal', () => {
    expect(() => sshArgv(host('h', { address: '-x', port: 0 }), ['true'])).toThrow(
      new QuoteError(
        "host h: address `-x` starts with '-' and would be read as an ssh option; " +
          'host h: port must be an integer from 1 to 65535',
      ),
    );
  });

  it('refuses empty, dash-led and control-holding option values, naming what they were', () => {
    const x = host('x', { address: 'x' });
    expect(() => sshArgv(x, ['true'], { options: [''] })).toThrow(new QuoteError('invalid ssh option: ""'));
    expect(() => sshArgv(x, ['true'], { options: ['-v'] })).toThrow(new QuoteError('invalid ssh option: "-v"'));
    const control = new QuoteError('invalid ssh option: "A=b\\nc"');
    expect(() => sshArgv(x, ['true'], { options: ['A=b\nc'] })).toThrow(control);
    expect(() => sshArgv(x, ['true'], { controlPath: '-oX' })).toThrow(new QuoteError('invalid controlPath: "-oX"'));
    expect(() => sshArgv(x, ['true'], { options: [3 as unknown as string] })).toThrow(QuoteError);
  });
});

describe('shQuote and display', () => {
  it('refuses what is not a string, and says why for NUL', () => {
    expect(() => shQuote(3 as unknown as string)).toThrow(new QuoteError('cannot quote a number'));
    expect(() => shQuote('a\0b')).toThrow(new QuoteError('a NUL byte cannot be passed in a command argument'));
  });

  it('displayQuote quotes what a shell would read and escapes quotes and control characters', () => {
    expect(displayQuote('a*')).toBe("'a*'");
    expect(displayQuote("it's")).toBe(`'it'\\''s'`);
    expect(displayQuote('\x7f\t')).toBe("'\\x7f\\x09'");
    expect(displayArgv(['restic', 'backup', '/srv/a b'])).toBe("restic backup '/srv/a b'");
    expect(displayArgv([])).toBe('');
  });
});

describe('nameProblem and absPathProblem', () => {
  it('say what was given instead of a string', () => {
    expect(nameProblem(null)).toBe('must be a string (got null)');
    expect(nameProblem(undefined)).toBe('must be a string (got undefined)');
    expect(nameProblem(4)).toBe('must be a string (got number)');
    expect(absPathProblem(null)).toBe('must be a path string (got null)');
    expect(absPathProblem(4)).toBe('must be a path string (got number)');
  });

  it('show a control character escaped in the message', () => {
    expect(nameProblem('a\nb')).toBe("`'a\\x0ab'` contains a control character (newline, tab, NUL ...)");
    expect(absPathProblem('/a\tb')).toBe("`'/a\\x09b'` contains a control character (newline, tab, NUL ...)");
    expect(absPathProblem('rel')).toBe('`rel` must be an absolute path (starting with /)');
  });
});
