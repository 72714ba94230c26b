// The shape of a plan duration, apart from its parsing and arithmetic (duration.ts), so that the
// zone clock can name it without importing the module that uses the clock.
export interface Duration {
  y: number;
  mo: number;
  w: number;
  d: number;
  h: number;
  min: number;
}
