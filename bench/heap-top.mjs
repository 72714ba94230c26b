// What holds the memory of a V8 heap snapshot (.heapsnapshot): the objects that retain the most
// (retained size = what would be freed with them, from the dominator tree over strong edges, as
// DevTools computes it), each with the chain of objects that dominate it, and the self sizes
// summed per constructor.
//   node bench/heap-top.mjs FILE [TOP]
import { readFileSync } from 'node:fs';

const [file, topArg] = process.argv.slice(2);
const TOP = Number(topArg ?? 25);
const snap = JSON.parse(readFileSync(file, 'utf8'));
const {
  node_fields: nf,
  edge_fields: ef,
  node_types: [nodeTypes],
  edge_types: [edgeTypes],
} = snap.snapshot.meta;
const NF = nf.length;
const EF = ef.length;
const [N_TYPE, N_NAME, N_SELF, N_EDGES] = ['type', 'name', 'self_size', 'edge_count'].map((f) => nf.indexOf(f));
const [E_TYPE, E_NAME, E_TO] = ['type', 'name_or_index', 'to_node'].map((f) => ef.indexOf(f));
const { nodes, edges, strings } = snap;
const n = nodes.length / NF;
const WEAK = edgeTypes.indexOf('weak');
const SHORTCUT = edgeTypes.indexOf('shortcut');

const firstEdge = new Uint32Array(n + 1);
for (let i = 0, e = 0; i < n; i++) {
  firstEdge[i] = e;
  e += nodes[i * NF + N_EDGES] * EF;
  firstEdge[i + 1] = e;
}
const strong = (e) => edges[e + E_TYPE] !== WEAK && edges[e + E_TYPE] !== SHORTCUT;

// postorder from the root (node 0)
const order = new Int32Array(n).fill(-1); // node → postorder number
const byOrder = new Int32Array(n);
let count = 0;
{
  const stack = [0];
  const next = new Uint32Array(n);
  const seen = new Uint8Array(n);
  seen[0] = 1;
  next[0] = firstEdge[0];
  while (stack.length) {
    const v = stack[stack.length - 1];
    if (next[v] < firstEdge[v + 1]) {
      const e = next[v];
      next[v] += EF;
      if (!strong(e)) continue;
      const w = edges[e + E_TO] / NF;
      if (!seen[w]) {
        seen[w] = 1;
        next[w] = firstEdge[w];
        stack.push(w);
      }
    } else {
      stack.pop();
      order[v] = count;
      byOrder[count++] = v;
    }
  }
}

// predecessors (CSR) over strong edges between reachable nodes
const predCount = new Uint32Array(n + 1);
for (let v = 0; v < n; v++) {
  if (order[v] < 0) continue;
  for (let e = firstEdge[v]; e < firstEdge[v + 1]; e += EF) if (strong(e)) predCount[edges[e + E_TO] / NF + 1]++;
}
for (let i = 0; i < n; i++) predCount[i + 1] += predCount[i];
const preds = new Uint32Array(predCount[n]);
const fill = predCount.slice(0, n);
for (let v = 0; v < n; v++) {
  if (order[v] < 0) continue;
  for (let e = firstEdge[v]; e < firstEdge[v + 1]; e += EF) if (strong(e)) preds[fill[edges[e + E_TO] / NF]++] = v;
}

// dominators (Cooper, Harvey, Kennedy), on postorder numbers
const idom = new Int32Array(count).fill(-1);
const root = order[0];
idom[root] = root;
for (let changed = true; changed;) {
  changed = false;
  for (let k = count - 1; k >= 0; k--) {
    if (k === root) continue;
    const v = byOrder[k];
    let d = -1;
    for (let p = predCount[v]; p < predCount[v + 1]; p++) {
      let a = order[preds[p]];
      if (a < 0 || idom[a] < 0) continue;
      if (d < 0) {
        d = a;
        continue;
      }
      let b = d;
      while (a !== b) {
        while (a < b) a = idom[a];
        while (b < a) b = idom[b];
      }
      d = a;
    }
    if (d >= 0 && idom[k] !== d) {
      idom[k] = d;
      changed = true;
    }
  }
}

const retained = new Float64Array(count);
for (let k = 0; k < count; k++) retained[k] += nodes[byOrder[k] * NF + N_SELF];
for (let k = 0; k < count; k++) if (k !== root && idom[k] >= 0) retained[idom[k]] += retained[k];

const nameOf = (v) => {
  const type = nodeTypes[nodes[v * NF + N_TYPE]];
  const name = strings[nodes[v * NF + N_NAME]];
  if (type === 'string' || type === 'concatenated string' || type === 'sliced string') return `string(${name.length})`;
  if (type === 'closure') return `${name || '(anonymous)'}()`;
  if (type === 'object' || type === 'native') return name;
  return `(${type}) ${name.slice(0, 40)}`;
};
/** The name of an edge from a to b, if a holds b directly. */
const edgeName = (a, b) => {
  for (let e = firstEdge[a]; e < firstEdge[a + 1]; e += EF) {
    if (edges[e + E_TO] / NF !== b) continue;
    const t = edgeTypes[edges[e + E_TYPE]];
    const nm = edges[e + E_NAME];
    return t === 'element' || t === 'hidden' ? `[${nm}]` : `.${strings[nm]}`;
  }
  return '';
};
const mb = (b) => `${(b / 1048576).toFixed(2)} MB`;

const total = retained[root];
console.log(`${file}: ${n} nodes, ${count} reachable, ${mb(total)} reachable in all`);
console.log(`\nlargest retainers (retained size, then the chain of dominators from the nearest named holder):`);
const ks = [...Array(count).keys()].filter((k) => k !== root).sort((a, b) => retained[b] - retained[a]);
let shown = 0;
for (const k of ks) {
  if (shown >= TOP) break;
  const v = byOrder[k];
  const name = nameOf(v);
  if (name.startsWith('(synthetic)')) continue;
  // skip a holder whose single dominated child holds nearly all of it (the child is shown)
  const chain = [];
  for (let c = k, i = 0; c !== root && i < 6; c = idom[c], i++)
    chain.push(`${nameOf(byOrder[c])}${edgeName(byOrder[idom[c]], byOrder[c])}`);
  console.log(`  ${mb(retained[k]).padStart(10)}  ${chain.join('  ⟵ ')}`);
  shown++;
}
const perClass = new Map();
for (let k = 0; k < count; k++) {
  const v = byOrder[k];
  const c = nameOf(v).replace(/^string\(\d+\)$/, 'string');
  const e = perClass.get(c) ?? { self: 0, n: 0 };
  e.self += nodes[v * NF + N_SELF];
  e.n++;
  perClass.set(c, e);
}
console.log('\nself size per constructor:');
for (const [c, e] of [...perClass].sort((a, b) => b[1].self - a[1].self).slice(0, TOP)) {
  console.log(`  ${mb(e.self).padStart(10)}  ${String(e.n).padStart(8)}×  ${c}`);
}
