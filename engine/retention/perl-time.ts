// Perl's Time::Local timelocal (1.30, Debian 12), which sanoid and btrbk use to turn a wall-clock
// reading of the local zone into an instant. Checked against perl itself in Europe/Paris: a time
// that occurs twice (the October change) is the earlier instant (summer time), and a time that
// does not exist (the March gap) is read with the offset before the change (02:30 is 01:30Z, as
// 03:30 is). goWallToInstant (Go's rule) gives the later instant of a repeated time instead.
import { MINUTE, offsetAt } from './calendar';

const SPAN = 14 * 60 * MINUTE;

/** timelocal for the wall clock `wall` (its fields read as UTC, ms) in `zone`. */
export function perlTimelocal(wall: number, zone: string): number {
  const before = offsetAt(wall - SPAN, zone);
  const after = offsetAt(wall + SPAN, zone);
  const fits = [before, after]
    .map((o) => wall - o * MINUTE)
    .filter((u) => wall - offsetAt(u, zone) * MINUTE === u)
    .sort((a, b) => a - b);
  return fits[0] ?? wall - before * MINUTE;
}
