// The check of an edited plan from the check of its previous version: the edited entry alone is
// re-parsed when that can be proved equivalent (plan/reparse.ts), else the whole text. The result
// is the one `checkText` gives for the new text (test/unit/checks/incremental.test.ts).
import { checkParsed, type CheckOptions, type CheckResult } from './check';
import { parsePlan } from './plan/parse';
import { reparse } from './plan/reparse';

export interface IncrementalResult extends CheckResult {
  /** Whether only one entry was re-parsed (false: the whole text was). */
  incremental: boolean;
}

export function checkIncremental(
  prev: CheckResult | undefined,
  text: string,
  options: CheckOptions = {},
): IncrementalResult {
  const step = prev ? reparse(prev.parsed, text) : undefined;
  if (!step) return { ...checkParsed(parsePlan(text), options), incremental: false };
  return { ...checkParsed(step.parsed, options), incremental: true };
}
