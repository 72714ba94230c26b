// `from` and `after` are "runs after" links between jobs; a cycle among them can never run.
// Each link that lies on a cycle gets one finding at its value, whose message spells out a
// cycle through that link starting at the job that holds it ("a → b → a"). Links to unknown
// jobs are unknown-reference's business and ignored here.
import type { YamlPath } from '../plan/model';
import type { Rule, RuleFinding } from './rule';

interface Edge {
  from: string;
  to: string;
  path: YamlPath;
  field: 'from' | 'after';
}

/** Strongly connected components (Tarjan, iterative), each as a set of job names. */
function components(nodes: string[], out: Map<string, string[]>): Set<string>[] {
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const result: Set<string>[] = [];
  for (const start of nodes) {
    if (idx.has(start)) continue;
    const work: { node: string; next: number }[] = [{ node: start, next: 0 }];
    idx.set(start, index);
    low.set(start, index++);
    stack.push(start);
    onStack.add(start);
    while (work.length > 0) {
      const frame = work[work.length - 1];
      const succ = out.get(frame.node) ?? [];
      if (frame.next < succ.length) {
        const w = succ[frame.next++];
        if (!idx.has(w)) {
          idx.set(w, index);
          low.set(w, index++);
          stack.push(w);
          onStack.add(w);
          work.push({ node: w, next: 0 });
        } else if (onStack.has(w)) {
          low.set(frame.node, Math.min(low.get(frame.node)!, idx.get(w)!));
        }
        continue;
      }
      work.pop();
      if (work.length > 0) {
        const parent = work[work.length - 1].node;
        low.set(parent, Math.min(low.get(parent)!, low.get(frame.node)!));
      }
      if (low.get(frame.node) === idx.get(frame.node)) {
        const comp = new Set<string>();
        let w: string;
        do {
          w = stack.pop()!;
          onStack.delete(w);
          comp.add(w);
        } while (w !== frame.node);
        result.push(comp);
      }
    }
  }
  return result;
}

/** Shortest path from `a` to `b` inside `comp` (breadth first), both ends included. */
function shortestPath(a: string, b: string, out: Map<string, string[]>, comp: Set<string>): string[] {
  const prev = new Map<string, string>();
  const queue = [a];
  const seen = new Set([a]);
  while (queue.length > 0) {
    const n = queue.shift()!;
    if (n === b) break;
    for (const w of out.get(n) ?? []) {
      if (!comp.has(w) || seen.has(w)) continue;
      seen.add(w);
      prev.set(w, n);
      queue.push(w);
    }
  }
  const path = [b];
  while (path[0] !== a) path.unshift(prev.get(path[0])!);
  return path;
}

export const rule: Rule = {
  id: 'dependency-cycle',
  defaultSeverity: 'error',
  summary: '`from`/`after` form a cycle.',
  check(ctx) {
    const jobs = ctx.model.jobs;
    const edges: Edge[] = [];
    for (const job of jobs.values()) {
      if (job.from !== undefined && jobs.has(job.from)) edges.push({ from: job.name, to: job.from, path: [...job.at, 'from'], field: 'from' });
      const list = Array.isArray(job.raw.after);
      job.after.forEach((name, i) => {
        if (jobs.has(name)) edges.push({ from: job.name, to: name, path: list ? [...job.at, 'after', i] : [...job.at, 'after'], field: 'after' });
      });
    }
    const out = new Map<string, string[]>();
    for (const e of edges) {
      const list = out.get(e.from) ?? [];
      if (!list.includes(e.to)) list.push(e.to);
      out.set(e.from, list);
    }
    const compOf = new Map<string, Set<string>>();
    for (const comp of components([...jobs.keys()], out)) for (const n of comp) compOf.set(n, comp);

    const findings: RuleFinding[] = [];
    const seen = new Set<string>();
    for (const e of edges) {
      const comp = compOf.get(e.from)!;
      if (e.from !== e.to && !comp.has(e.to)) continue;
      const cycle = e.from === e.to ? [e.from, e.from] : [e.from, ...shortestPath(e.to, e.from, out, comp)];
      const range = ctx.locate(e.path, 'value');
      const key = `${range.start}:${range.end}`;
      if (seen.has(key)) continue; // a link inherited through a merge key is one place in the text
      seen.add(key);
      const shown = cycle.join(' → ');
      const what =
        e.from === e.to
          ? `\`${e.from}\` cannot run after itself: remove this \`${e.field}\``
          : `none of these jobs can ever run: remove or change one of the \`from\`/\`after\` links in the cycle`;
      const related = [];
      for (let i = 1; i + 1 < cycle.length; i++) {
        const link = edges.find((x) => x.from === cycle[i] && x.to === cycle[i + 1]);
        if (link) related.push({ message: `\`${link.from}\` ${link.field === 'from' ? 'copies from' : 'runs after'} \`${link.to}\``, range: ctx.locate(link.path, 'value') });
      }
      findings.push({ range, message: `dependency cycle ${shown}: ${what}`, ...(related.length > 0 ? { related } : {}) });
    }
    return findings;
  },
};
