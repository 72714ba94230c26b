// The command a host names for a tool (`tools: { zfs: /sbin/zfs }` in the plan), as the drivers
// use it, so a store lists with the same binary the job's steps run.
import type { PlanModel } from '../../plan/model';

export function toolOn(plan: PlanModel, host: string, tool: string): string {
  const tools = plan.hosts.get(host)?.raw?.tools;
  const v = tools && typeof tools === 'object' ? (tools as Record<string, unknown>)[tool] : undefined;
  return typeof v === 'string' && v !== '' && !v.startsWith('-') ? v : tool;
}
