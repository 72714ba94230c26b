// The time at the head of each line of the Backplan output channel: local time, 24-hour, ISO
// order (`2026-12-03 05:47:36`), whatever the locale (toLocaleTimeString gave `5:47:36 AM`).
// No `vscode` import: unit-tested as it is.
export function logTime(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}
