// Plans may name local folders relative to the plan file (`path: ./backups`), which is what a
// demo or a per-project plan wants. Before steps are generated, such paths are made absolute
// against the plan's directory; paths on remote hosts must already be absolute.
import { isAbsolute, resolve } from 'node:path';
import type { PlanModel } from './model';

export function isLocalHost(plan: PlanModel, hostName: string | undefined): boolean {
  if (hostName === undefined) return true;
  const host = plan.hosts.get(hostName);
  if (!host) return false;
  return host.address === undefined || host.address === 'localhost' || host.address === '127.0.0.1' || host.address === '::1';
}

/** A path of a local job or storage made absolute against the plan's folder (URLs and absolute paths as written). */
export const resolveLocalPath = (p: unknown, base: string): unknown =>
  typeof p === 'string' && p !== '' && !isAbsolute(p) && !p.includes('://') ? resolve(base, p) : p;
const rel = resolveLocalPath;

/** A copy of the plan with relative local paths made absolute against `baseDir`. */
export function resolveLocalPaths(plan: PlanModel, baseDir: string): PlanModel {
  const storage = new Map(
    [...plan.storage].map(([name, s]) => {
      if (!isLocalHost(plan, s.host) || s.path === undefined) return [name, s];
      const path = rel(s.path, baseDir) as string;
      return [name, { ...s, path, raw: { ...s.raw, path } }];
    }),
  );
  const jobs = new Map(
    [...plan.jobs].map(([name, j]) => {
      if (!isLocalHost(plan, j.host)) return [name, j];
      const paths = Array.isArray(j.raw.paths) ? j.raw.paths.map((p) => rel(p, baseDir)) : rel(j.raw.paths, baseDir);
      return [name, { ...j, raw: { ...j.raw, ...(j.raw.paths !== undefined ? { paths } : {}) } }];
    }),
  );
  return { ...plan, storage, jobs };
}
