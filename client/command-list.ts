// The commands of the extension: id, palette title, and when they apply. Pure data (no vscode
// import): the manifest's `contributes.commands` is built from it and checked against it
// (test/unit/client/manifest.test.ts); commands.ts gives each id its handler, and the compiler
// makes sure every id here has one.
import { COMMANDS as LENS, REFERENCE_COMMAND } from '../server/protocol';

export const CATEGORY = 'Backplan';

export const COMMAND_LIST = [
  { id: LENS.runNow, title: 'Run backup now', icon: '$(play)', runsSomething: true, needsPlan: true },
  { id: LENS.dryRun, title: 'Dry run', icon: '$(checklist)', runsSomething: false, needsPlan: true },
  { id: LENS.simulateRetention, title: 'Simulate retention', icon: '$(graph-line)', runsSomething: false, needsPlan: true },
  { id: LENS.showCoverage, title: 'Show 3-2-1 coverage', icon: '$(shield)', runsSomething: false, needsPlan: true },
  { id: LENS.restore, title: 'Restore…', icon: '$(history)', runsSomething: true, needsPlan: true },
  { id: 'backplan.openRunbook', title: 'Open runbook', icon: '$(book)', runsSomething: false, needsPlan: true },
  { id: 'backplan.export', title: 'Export to native schedulers', icon: '$(export)', runsSomething: false, needsPlan: true },
  { id: 'backplan.showStatus', title: 'Show status', icon: '$(pulse)', runsSomething: false, needsPlan: true },
  { id: 'backplan.openMetrics', title: 'Open metrics file', icon: '$(graph)', runsSomething: false, needsPlan: true },
  { id: 'backplan.refreshStatus', title: 'Refresh status', icon: '$(refresh)', runsSomething: false, needsPlan: false },
  { id: 'backplan.showOutput', title: 'Open output', icon: '$(output)', runsSomething: false, needsPlan: false },
  { id: 'backplan.restartServer', title: 'Restart language server', icon: '$(debug-restart)', runsSomething: false, needsPlan: false },
  { id: REFERENCE_COMMAND, title: 'Open reference', icon: '$(book)', runsSomething: false, needsPlan: false },
] as const;

export type CommandId = (typeof COMMAND_LIST)[number]['id'];

/** The manifest's `contributes.commands` and `contributes.menus.commandPalette`. */
export function manifestCommands(): { commands: Record<string, string>[]; palette: { command: string; when: string }[] } {
  return {
    commands: COMMAND_LIST.map((c) => ({ command: c.id, title: c.title, category: CATEGORY, icon: c.icon })),
    palette: COMMAND_LIST.filter((c) => c.needsPlan).map((c) => ({ command: c.id, when: 'editorLangId == backplan' })),
  };
}
