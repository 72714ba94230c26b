// Hosts, storage and policies that nothing refers to: a hint, tagged `unnecessary` (editors fade
// them), on the entry's key. References counted: hosts ← job.host, storage.host, an incus-copy's
// `remote` naming a host; storage ← job.to, job.storage, download.to; policies ← job.retention (a name).
// Disabled jobs still count as references (the entry is in use once the job is re-enabled).
import type { Rule, RuleFinding } from './rule';

export const rule: Rule = {
  id: 'unused',
  defaultSeverity: 'hint',
  summary: 'A host, storage or policy is never used.',
  check(ctx) {
    const m = ctx.model;
    const hosts = new Set<string>();
    const storage = new Set<string>();
    const policies = new Set<string>();
    for (const s of m.storage.values()) if (s.host !== undefined) hosts.add(s.host);
    for (const j of m.jobs.values()) {
      if (j.host !== undefined) hosts.add(j.host);
      if (typeof j.raw.remote === 'string') hosts.add(j.raw.remote);
      if (j.to !== undefined) storage.add(j.to);
      if (j.storage !== undefined) storage.add(j.storage);
      const dl = j.raw.download;
      if (dl !== null && typeof dl === 'object' && typeof (dl as Record<string, unknown>).to === 'string')
        storage.add((dl as Record<string, unknown>).to as string);
      if (typeof j.retention === 'string') policies.add(j.retention);
    }
    const out: RuleFinding[] = [];
    const report = (what: string, section: string, name: string, by: string) =>
      out.push({
        range: ctx.locate([section, name], 'key'),
        message: `${what} \`${name}\` is not used by any ${by}: remove it, or refer to it`,
        tags: ['unnecessary'],
      });
    for (const name of m.hosts.keys()) if (!hosts.has(name)) report('host', 'hosts', name, 'job or storage');
    for (const name of m.storage.keys()) if (!storage.has(name)) report('storage', 'storage', name, 'job (`to` or `storage`)');
    for (const name of m.policies.keys()) if (!policies.has(name)) report('policy', 'policies', name, 'job (`retention`)');
    return out;
  },
};
