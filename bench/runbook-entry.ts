// The in-process entry of bench/runbook.mjs.
export { loadPlan } from '../cli/load-plan';
export { buildRunbook } from '../engine/recovery/runbook';
export { renderMarkdown } from '../engine/recovery/render';
