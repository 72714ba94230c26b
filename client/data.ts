// The analyses a command shows come from the language server (which holds the document as it
// is being edited) through the custom requests of server/protocol.ts. When the server is not
// running or does not answer a method, the same data comes from the `backplan` command on the
// saved file (`plan --format json`, `simulate --format json --svg`).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as vscode from 'vscode';
import {
  COVERAGE_REQUEST,
  PLAN_REQUEST,
  SIMULATE_REQUEST,
  type CoverageResult,
  type PlanParams,
  type PlanResult,
  type SimulateParams,
  type SimulateResult,
} from '../server/protocol';
import { cliError, execCli } from './cli';
import { planFileOnDisk, type Ctx } from './context';

export class DataError extends Error {}

async function ask<R>(ctx: Ctx, method: string, params: object, token?: vscode.CancellationToken): Promise<R | undefined> {
  const client = ctx.client;
  if (!client || !client.isRunning()) return undefined;
  try {
    // With a string method, a trailing `undefined` would be sent as a second parameter.
    return await (token ? client.sendRequest<R>(method, params, token) : client.sendRequest<R>(method, params));
  } catch (e) {
    // -32601 MethodNotFound: an older server; anything else is worth a line in the log.
    if ((e as { code?: number }).code !== -32601) ctx.log(`${method} failed: ${(e as Error).message}; using the backplan command instead`);
    return undefined;
  }
}

export async function requestPlan(ctx: Ctx, params: PlanParams, token?: vscode.CancellationToken): Promise<PlanResult> {
  const fromServer = await ask<PlanResult>(ctx, PLAN_REQUEST, params, token);
  if (fromServer) return fromServer;
  const uri = vscode.Uri.parse(params.uri);
  const file = await planFileOnDisk(uri);
  if (!file) throw new DataError('the plan is not a saved file');
  const r = await execCli(ctx.cli(uri), ['plan', file, '--format', 'json', ...(params.job ? ['--job', params.job] : [])], file, token);
  try {
    return JSON.parse(r.stdout) as PlanResult;
  } catch {
    // Exit 1 with the plan's errors on stderr, one per line.
    const lines = r.stderr.split('\n').filter((l) => l.trim() && !/^backplan: the plan has errors/.test(l));
    if (r.code === 1 && lines.length) return { steps: [], errors: [], skipped: [], order: [], planErrors: lines };
    throw new DataError(cliError(r));
  }
}

export async function requestSimulate(ctx: Ctx, params: SimulateParams, token?: vscode.CancellationToken): Promise<SimulateResult> {
  const fromServer = await ask<SimulateResult>(ctx, SIMULATE_REQUEST, params, token);
  if (fromServer) return fromServer;
  const uri = vscode.Uri.parse(params.uri);
  const file = await planFileOnDisk(uri);
  if (!file) throw new DataError('the plan is not a saved file');
  const dir = mkdtempSync(join(tmpdir(), 'backplan-sim-'));
  try {
    const svgFile = join(dir, 'timeline.svg');
    const args = ['simulate', file, '--format', 'json', '--svg', svgFile];
    if (params.job) args.push('--job', params.job);
    if (params.at) args.push('--at', params.at);
    if (params.from) args.push('--from', params.from);
    if (params.horizon && !params.at) args.push('--horizon', params.horizon);
    const r = await execCli(ctx.cli(uri), args, file, token);
    let parsed: SimulateResult;
    try {
      parsed = JSON.parse(r.stdout) as SimulateResult;
    } catch {
      throw new DataError(cliError(r));
    }
    parsed.skipped ??= [];
    let svg = '';
    try {
      svg = readFileSync(svgFile, 'utf8');
    } catch {
      /* no picture */
    }
    for (const j of parsed.jobs ?? []) {
      j.svg ??= svg;
      j.rules ??= [];
    }
    return parsed;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function requestCoverage(ctx: Ctx, uri: vscode.Uri, token?: vscode.CancellationToken): Promise<CoverageResult> {
  const fromServer = await ask<CoverageResult>(ctx, COVERAGE_REQUEST, { uri: uri.toString() }, token);
  if (fromServer) return fromServer;
  throw new DataError('the 3-2-1 coverage comes from the language server, which is not running (see Backplan: Open output)');
}
