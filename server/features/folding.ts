// Folding: every block mapping or sequence value that spans lines, and runs of comment lines.
// At most the client's rangeLimit (default MAX_FOLDS) ranges.
import { isCollection, isMap, isPair, isSeq, type Node } from 'yaml';
import { FoldingRangeKind, type FoldingRange } from 'vscode-languageserver/node';
import type { Analysis } from '../documents';

export const MAX_FOLDS = 5000;

export function foldingRanges(a: Analysis, limit = MAX_FOLDS): FoldingRange[] {
  const out: FoldingRange[] = [];
  const max = Math.max(0, Math.min(limit, MAX_FOLDS));
  const line = (o: number) => a.lines.position(o).line;
  const add = (startOffset: number, endOffset: number) => {
    if (out.length >= max) return;
    const s = line(startOffset);
    // a block value's range runs into the next line's indentation: stop at its last character
    let end = endOffset;
    while (end > startOffset && /\s/.test(a.text[end - 1])) end--;
    const e = line(end);
    if (e > s) out.push({ startLine: s, endLine: e });
  };
  const visit = (node: unknown, depth: number) => {
    if (out.length >= max || depth > 100) return;
    if (isMap(node)) {
      for (const pair of node.items) {
        const k = pair.key as Node | null;
        const v = pair.value as Node | null;
        if (k?.range && v?.range && isCollection(v)) add(k.range[0], v.range[1]);
        visit(v, depth + 1);
      }
    } else if (isSeq(node)) {
      for (const item of node.items) {
        const n = item as Node | null;
        if (n?.range && isCollection(n)) add(n.range[0], n.range[1]);
        visit(n, depth + 1);
      }
    } else if (isPair(node)) {
      visit(node.value, depth + 1);
    }
  };
  visit(a.parsed.doc?.contents, 0);
  // comment blocks of two lines or more
  const lines = a.text.split(/\r?\n|\r/);
  let start = -1;
  for (let i = 0; i <= lines.length; i++) {
    const isComment = i < lines.length && /^\s*#/.test(lines[i]);
    if (isComment && start < 0) start = i;
    if (!isComment && start >= 0) {
      if (i - 1 > start && out.length < max) out.push({ startLine: start, endLine: i - 1, kind: FoldingRangeKind.Comment });
      start = -1;
    }
  }
  out.sort((x, y) => x.startLine - y.startLine || y.endLine - x.endLine);
  return out;
}
