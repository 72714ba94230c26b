// Times given on the command line (--now, --from, --at, snapshot lists).

/** RFC 3339 / ISO 8601 with a zone, or a naive `YYYY-MM-DD HH:MM[:SS]` taken as UTC. */
export function parseTime(s: string): number {
  const iso = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?$/i;
  if (!iso.test(s.trim())) return NaN;
  const withZone = /(Z|[+-]\d{2}:?\d{2})$/i.test(s.trim()) || s.trim().length === 10 ? s.trim() : `${s.trim().replace(' ', 'T')}Z`;
  return Date.parse(withZone.replace(' ', 'T'));
}
