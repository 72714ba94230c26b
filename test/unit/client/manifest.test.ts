// The extension manifest (package.json) agrees with the client's tables: commands, settings,
// restricted settings; and it declares what VS Code needs to know (language, grammar, schema,
// trust, activation), pointing only at files that ship in the VSIX.
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { COMMANDS as LENS_COMMANDS } from '../../../server/protocol';
import { CATEGORY, COMMAND_LIST, manifestCommands } from '../../../client/command-list';
import { DEFAULT_SETTINGS } from '../../../server/protocol';
import { manifestProperties, readSettings, restrictedSettings, serverSettings, SETTINGS } from '../../../client/settings';

const ROOT = resolve(__dirname, '../../..');
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));

describe('extension manifest', () => {
  it('contributes exactly the commands of client/command-list.ts, in category Backplan', () => {
    expect(pkg.contributes.commands).toEqual(manifestCommands().commands);
    for (const c of pkg.contributes.commands) expect(c.category).toBe(CATEGORY);
    expect(pkg.contributes.menus.commandPalette).toEqual(manifestCommands().palette);
  });

  it('declares the SPEC §9 command ids with their titles', () => {
    const titles = Object.fromEntries(COMMAND_LIST.map((c) => [c.id, c.title]));
    expect(titles).toMatchObject({
      'backplan.runNow': 'Run backup now',
      'backplan.dryRun': 'Dry run',
      'backplan.simulateRetention': 'Simulate retention',
      'backplan.showCoverage': 'Show 3-2-1 coverage',
      'backplan.export': 'Export to native schedulers',
    });
    // Every command a server lens can carry is one this client implements.
    for (const id of Object.values(LENS_COMMANDS)) expect(titles[id]).toBeTruthy();
    // Only running a backup and restoring one run something.
    const running = COMMAND_LIST.filter((c) => c.runsSomething).map((c) => c.id);
    expect(running).toEqual(['backplan.runNow', 'backplan.restore']);
    expect(titles).toMatchObject({ 'backplan.restore': 'Restore…', 'backplan.openRunbook': 'Open runbook' });
  });

  it('contributes exactly the settings of client/settings.ts', () => {
    expect(pkg.contributes.configuration.properties).toEqual(manifestProperties());
    expect(pkg.capabilities.untrustedWorkspaces.restrictedConfigurations).toEqual(restrictedSettings());
    expect(restrictedSettings()).toEqual(['backplan.cli.path', 'backplan.stateDir']);
    // shown under User and Workspace (machine-overridable showed them only under Remote), and
    // still ignored while the workspace is untrusted (restrictedConfigurations above)
    for (const k of restrictedSettings()) expect(pkg.contributes.configuration.properties[k].scope, k).toBe('window');
  });

  it('sends the server its settings in the shape of server/protocol.ts, defaults included', () => {
    const defaults = readSettings({ get: <T>(_k: string, d: T) => d });
    expect(serverSettings(defaults)).toEqual(DEFAULT_SETTINGS);
    const wrongTypes = readSettings({ get: <T>() => 'nonsense' as unknown as T });
    expect(wrongTypes['validation.debounceMs']).toBe(SETTINGS['validation.debounceMs'].default);
  });

  it('declares the language, grammar, schema, trust and activation', () => {
    expect(pkg.main).toBe('./dist/extension.js');
    expect(pkg.activationEvents).toContain('onLanguage:backplan');
    const lang = pkg.contributes.languages.find((l: { id: string }) => l.id === 'backplan');
    expect(lang.filenames).toEqual(['backplan.yaml', 'backplan.yml']);
    expect(lang.filenamePatterns).toEqual(['*.backplan.yaml', '*.backplan.yml']);
    expect(pkg.contributes.grammars[0]).toMatchObject({ language: 'backplan', scopeName: 'source.backplan' });
    expect(pkg.contributes.yamlValidation[0].url).toBe('./schemas/backplan.schema.json');
    expect(pkg.capabilities.untrustedWorkspaces.supported).toBe('limited');
    expect(pkg.capabilities.virtualWorkspaces.supported).toBe('limited');
    for (const p of [lang.configuration, pkg.contributes.grammars[0].path, pkg.contributes.yamlValidation[0].url]) expect(existsSync(join(ROOT, p))).toBe(true);
  });

  it('ships the files it points at: .vscodeignore is an allow-list that keeps them', () => {
    const ignore = readFileSync(join(ROOT, '.vscodeignore'), 'utf8').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
    expect(ignore[0]).toBe('**');
    const allowed = ignore.filter((l) => l.startsWith('!')).map((l) => l.slice(1));
    for (const f of ['package.json', 'dist/extension.js', 'dist/server.js', 'dist/cli.js', 'schemas/backplan.schema.json', 'syntaxes/backplan.tmLanguage.json', 'syntaxes/language-configuration.json']) expect(allowed).toContain(f);
  });

  it('has a grammar that embeds YAML and injects its own patterns', () => {
    const g = JSON.parse(readFileSync(join(ROOT, 'syntaxes', 'backplan.tmLanguage.json'), 'utf8'));
    expect(g.scopeName).toBe('source.backplan');
    expect(g.patterns).toEqual([{ include: 'source.yaml' }]);
    expect(Object.keys(g.injections)).toEqual(['L:source.backplan -comment']);
  });
});
