// The simulator's calendar arithmetic lives with the other time helpers (time/zone-clock.ts),
// since duration.ts shifts by months with it too.
export { daysInMonth, fixedPartMs, ZoneClock, type WallParts } from '../time/zone-clock';
