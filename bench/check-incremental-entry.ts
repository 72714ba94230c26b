// Entry point bundled by bench/check-incremental.mjs.
export { checkText } from '../engine/check';
export { checkIncremental } from '../engine/check-incremental';
