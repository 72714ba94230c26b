// `backplan check PLAN... [--state-dir D]`: every diagnostic, as text, JSON or SARIF. With a
// state directory, no-restore-test also reads the restore tests `backplan verify` journalled there.
import { dirname, relative, resolve } from 'node:path';
import { checkText } from '../../engine/check';
import type { Finding } from '../../engine/findings';
import { RULES } from '../../engine/checks';
import { LineIndex, type Position } from '../../engine/text/positions';
import { readPlanFile } from '../read-plan';
import { paint, severityColour, type Out } from '../output';
import type { CommandContext } from '../command';
import { verifyHistory } from '../../engine/run/state/verify-history';
import { LastSuccessReader } from '../../engine/ops/status/history';
import { resolveStateDir } from '../../engine/run/state/dir';
import { restoreHistory } from '../../engine/recovery/measured';

export interface FileReport {
  path: string;
  diagnostics: { rule: string; severity: string; message: string; range: { start: Position; end: Position }; accepted?: string }[];
}

export function checkFile(path: string, now?: number, stateDir?: string): { report: FileReport; findings: Finding[]; internal: string[] } {
  const text = readPlanFile(path);
  const result = checkText(text, {
    now,
    baseDir: dirname(resolve(path)),
    ...(stateDir !== undefined ? { verified: verifyHistory(stateDir, path), lastSuccess: new LastSuccessReader().read(stateDir, path), restores: restoreHistory(stateDir, path) } : {}),
  });
  const lines = new LineIndex(text);
  return {
    findings: result.findings,
    internal: result.internalErrors.map((e) => `${e.rule}: ${e.error.split('\n')[0]}`),
    report: {
      path,
      diagnostics: result.findings.map((f) => ({
        rule: f.rule,
        severity: f.severity,
        message: f.message,
        range: { start: lines.position(f.range.start), end: lines.position(f.range.end) },
        ...(f.accepted !== undefined ? { accepted: f.accepted } : {}),
      })),
    },
  };
}

export function runCheck(cmd: CommandContext): number {
  const { files, format, out } = { files: cmd.positionals, format: cmd.format<'text' | 'json' | 'sarif'>(), out: cmd.out };
  if (files.length === 0) cmd.usage('check needs at least one plan file: backplan check PLAN...');
  const stateOption = cmd.string('state-dir');
  const stateDir = stateOption !== undefined ? resolveStateDir(stateOption) : undefined;
  const reports: FileReport[] = [];
  let errors = 0;
  let warnings = 0;
  let others = 0;
  for (const [i, path] of files.entries()) {
    if (files.length > 1) out.progress(`checking ${i + 1}/${files.length} ${path}`);
    const { report, internal } = checkFile(path, undefined, stateDir);
    for (const msg of internal) out.error(`backplan: internal error in rule ${msg} (please report it)\n`);
    reports.push(report);
    for (const d of report.diagnostics) {
      if (d.severity === 'error') errors++;
      else if (d.severity === 'warning') warnings++;
      else others++;
    }
  }
  out.endProgress();
  if (format === 'json') out.write(JSON.stringify({ files: reports }, null, 2) + '\n');
  else if (format === 'sarif') out.write(JSON.stringify(toSarif(reports), null, 2) + '\n');
  else out.write(formatText(reports, out, { errors, warnings, others }));
  return errors > 0 ? 1 : 0;
}

function formatText(reports: FileReport[], out: Out, n: { errors: number; warnings: number; others: number }): string {
  const lines: string[] = [];
  for (const r of reports) {
    for (const d of r.diagnostics) {
      const where = `${r.path}:${d.range.start.line + 1}:${d.range.start.character + 1}`;
      lines.push(`${paint(out, 'bold', where)}: ${paint(out, severityColour(d.severity as Finding['severity']), d.severity)} ${d.message} ${paint(out, 'gray', `[${d.rule}]`)}`);
    }
  }
  const plural = (k: number, w: string) => `${k} ${w}${k === 1 ? '' : 's'}`;
  const summary =
    n.errors + n.warnings + n.others === 0
      ? paint(out, 'green', `${plural(reports.length, 'plan')} checked: no problems`)
      : `${plural(n.errors, 'error')}, ${plural(n.warnings, 'warning')}, ${n.others} other in ${plural(reports.length, 'plan')}`;
  lines.push(summary);
  return lines.join('\n') + '\n';
}

function toSarif(reports: FileReport[]) {
  const level = (s: string) => (s === 'error' ? 'error' : s === 'warning' ? 'warning' : 'note');
  return {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'backplan',
            informationUri: 'https://github.com/backplan/backplan',
            rules: RULES.map((r) => ({ id: r.id, shortDescription: { text: r.summary }, defaultConfiguration: { level: level(r.defaultSeverity) } })),
          },
        },
        columnKind: 'utf16CodeUnits',
        results: reports.flatMap((r) =>
          r.diagnostics.map((d) => ({
            ruleId: d.rule,
            level: level(d.severity),
            message: { text: d.message },
            locations: [
              {
                physicalLocation: {
                  artifactLocation: { uri: relative(process.cwd(), r.path).split('\\').join('/') },
                  region: {
                    startLine: d.range.start.line + 1,
                    startColumn: d.range.start.character + 1,
                    endLine: d.range.end.line + 1,
                    endColumn: d.range.end.character + 1,
                  },
                },
              },
            ],
          })),
        ),
      },
    ],
  };
}
