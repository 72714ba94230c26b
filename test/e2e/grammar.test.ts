// The TextMate grammar, tokenized by VS Code's own engine (vscode-textmate + vscode-oniguruma,
// with VS Code's YAML grammar that ours embeds), both taken from the installed code-server: cron
// strings, durations and rule keys get their scopes, and the YAML around them keeps its own.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { e2eToolsReady, ROOT, TOOLS } from './harness';

const ready = e2eToolsReady();
const VSCODE = join(TOOLS, 'node_modules', 'code-server', 'lib', 'vscode');

// The few parts of vscode-textmate and vscode-oniguruma used here (they come with code-server,
// not with the project, so their types are not installed).
interface Textmate {
  INITIAL: unknown;
  parseRawGrammar(content: string, path: string): unknown;
  Registry: new (opts: {
    onigLib: Promise<{ createOnigScanner(p: string[]): unknown; createOnigString(s: string): unknown }>;
    loadGrammar(scope: string): Promise<unknown>;
  }) => { loadGrammar(scope: string): Promise<{ tokenizeLine(line: string, state: unknown): { tokens: { startIndex: number; endIndex: number; scopes: string[] }[]; ruleStack: unknown } } | null> };
}
interface Oniguruma {
  loadWASM(data: ArrayBuffer): Promise<void>;
  OnigScanner: new (patterns: string[]) => unknown;
  OnigString: new (s: string) => unknown;
}

interface Token {
  text: string;
  scopes: string[];
}

describe.skipIf(!ready)('TextMate grammar (syntaxes/backplan.tmLanguage.json)', () => {
  let tokenize: (text: string) => Token[][];

  beforeAll(async () => {
    const req = createRequire(join(VSCODE, 'package.json'));
    const tm = req('vscode-textmate') as Textmate;
    const onig = req('vscode-oniguruma') as Oniguruma;
    await onig.loadWASM(readFileSync(req.resolve('vscode-oniguruma/release/onig.wasm')).buffer as ArrayBuffer);
    const yamlExt = join(VSCODE, 'extensions', 'yaml');
    const files: Record<string, string> = { 'source.backplan': join(ROOT, 'syntaxes', 'backplan.tmLanguage.json') };
    for (const g of JSON.parse(readFileSync(join(yamlExt, 'package.json'), 'utf8')).contributes.grammars as { scopeName: string; path: string }[]) files[g.scopeName] = join(yamlExt, g.path);
    const registry = new tm.Registry({
      onigLib: Promise.resolve({ createOnigScanner: (p: string[]) => new onig.OnigScanner(p), createOnigString: (s: string) => new onig.OnigString(s) }),
      loadGrammar: async (scope: string) => (files[scope] ? tm.parseRawGrammar(readFileSync(files[scope], 'utf8'), files[scope]) : null),
    });
    const grammar = (await registry.loadGrammar('source.backplan'))!;
    tokenize = (text) => {
      let state = tm.INITIAL;
      return text.split('\n').map((line) => {
        const r = grammar.tokenizeLine(line, state);
        state = r.ruleStack;
        return r.tokens.map((t) => ({ text: line.slice(t.startIndex, t.endIndex), scopes: t.scopes }));
      });
    };
  });

  const scopesOf = (lines: Token[][], text: string): string[] => {
    const t = lines.flat().find((x) => x.text === text);
    if (!t) throw new Error(`no token "${text}" in ${JSON.stringify(lines.flat().map((x) => x.text))}`);
    return t.scopes;
  };

  it('marks cron fields and macros in schedule values, quoted or not', () => {
    const lines = tokenize(['jobs:', '  a:', '    schedule: "30 */6 * * 1-5"   # weekdays', "    prune_schedule: '@daily'", '    verify: { schedule: "0 5 * * 0", restore: latest }'].join('\n'));
    expect(scopesOf(lines, 'schedule')).toContain('keyword.other.rule-key.backplan');
    expect(scopesOf(lines, '30')).toContain('constant.numeric.cron-field.backplan');
    expect(scopesOf(lines, '30')).toContain('string.quoted.double.cron.backplan');
    expect(scopesOf(lines, '/')).toContain('keyword.operator.cron.backplan');
    expect(scopesOf(lines, '@daily')).toContain('constant.language.cron-macro.backplan');
    expect(scopesOf(lines, '0')).toContain('string.quoted.double.cron.backplan'); // in a flow mapping
    expect(scopesOf(lines, '# weekdays'.slice(1))).toContain('comment.line.number-sign.yaml');
  });

  it('marks durations, and a bare m as invalid', () => {
    const lines = tokenize(['policies:', '  p:', '    tiers:', '      - { every: 1d, until: 1y2mo }', '      - { keep: all, until: 30m }', '    expiry: 15d', '    path: /srv/10d'].join('\n'));
    expect(scopesOf(lines, '1d')).toContain('constant.numeric.duration.backplan');
    expect(scopesOf(lines, '1y2mo')).toContain('constant.numeric.duration.backplan');
    expect(scopesOf(lines, '15d')).toContain('constant.numeric.duration.backplan');
    expect(scopesOf(lines, '30m')).toContain('invalid.illegal.duration.bare-m.backplan');
    expect(scopesOf(lines, '/srv/10d').join(' ')).not.toMatch(/duration/);
  });

  it('marks the keys the checks are about and leaves other keys to YAML', () => {
    const lines = tokenize(['jobs:', '  copy:', '    kind: incus-copy', '    autostart: false', '    retention: minet', '    instance: web'].join('\n'));
    for (const k of ['kind', 'autostart', 'retention', 'jobs']) expect(scopesOf(lines, k)).toContain('keyword.other.rule-key.backplan');
    expect(scopesOf(lines, 'instance')).toContain('entity.name.tag.yaml');
    expect(scopesOf(lines, 'instance')).not.toContain('keyword.other.rule-key.backplan');
    expect(scopesOf(lines, 'false').join(' ')).toMatch(/constant\.language\.boolean/);
  });
});
