// A reference for the DST model of engine/time/schedule.ts: a minute-by-minute replay of the
// main loop of cronie's cron.c (the "virtual time" loop with its small/medium/negative/large
// clock-jump cases and the wildcard/fixed-time split of find_jobs), with the local clock taken
// from luxon. Slow and obviously faithful; the engine's per-day computation must agree with it.
import { IANAZone } from 'luxon';
import { parseCron, type CronFields } from '../../../engine/time/cron';

const MINUTE = 60_000;

function matches(f: CronFields, localMinutes: number): boolean {
  const d = new Date(localMinutes * MINUTE);
  if (!f.minutes.includes(d.getUTCMinutes()) || !f.hours.includes(d.getUTCHours())) return false;
  if (!f.months.includes(d.getUTCMonth() + 1)) return false;
  const dom = f.daysOfMonth.includes(d.getUTCDate());
  const dow = f.daysOfWeek.includes(d.getUTCDay());
  return f.domStar || f.dowStar ? dom && dow : dom || dow;
}

/** Instants (epoch ms) at which cronie, running in `zone`, starts the job in (from, to]. */
export function cronieRuns(expr: string, zone: string, from: number, to: number): number[] {
  const parsed = parseCron(expr);
  if (!parsed.ok) throw new Error(parsed.message);
  const f = parsed.fields;
  const wild = f.minuteStar || f.hourStar;
  const z = IANAZone.create(zone);
  const clock = (t: number) => Math.floor((t + z.offset(t) * MINUTE) / MINUTE);
  const out: number[] = [];
  const start = Math.floor(from / MINUTE) * MINUTE;
  let timeRunning = clock(start);
  let virtualTime = timeRunning;
  for (let t = start + MINUTE; t <= to; t += MINUTE) {
    const clockTime = clock(t);
    if (clockTime === timeRunning) continue; // cron sleeps until the clock shows a new minute
    timeRunning = clockTime;
    let ran = false;
    const findJobs = (vtime: number, doWild: boolean, doNonWild: boolean) => {
      if (matches(f, vtime) && ((doNonWild && !wild) || (doWild && wild))) ran = true;
    };
    const timeDiff = timeRunning - virtualTime;
    if (timeDiff === 1) {
      virtualTime = timeRunning;
      findJobs(virtualTime, true, true);
    } else if (timeDiff > 180 || timeDiff < -180) {
      virtualTime = timeRunning;
      findJobs(timeRunning, true, true);
    } else if (timeDiff > 5) {
      findJobs(timeRunning, true, false);
      do {
        virtualTime++;
        findJobs(virtualTime, false, true);
      } while (virtualTime < timeRunning);
    } else if (timeDiff > 0) {
      do {
        virtualTime++;
        findJobs(virtualTime, true, true);
      } while (virtualTime < timeRunning);
    } else {
      findJobs(timeRunning, true, false);
    }
    if (ran && t > from) out.push(t); // a job is queued once per wake-up
  }
  return out;
}
