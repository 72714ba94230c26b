// A schedule in English for hovers and inlay hints ("At 02:30", "Every day at midnight"), via
// cronstrue with 24-hour times. cronstrue does not know cron's day rule (cron.ts): with both
// day fields restricted a day matching either fires, and a `*/n` day field counts as
// unrestricted, so `0 0 *\/2 * 1` runs only on Mondays that are odd days. Those two cases are
// worded here from cronstrue's pieces so the text says what cron does.
import { toString as cronToString } from 'cronstrue';
import { DOW_FULL, joinWords, parseCron, type CronFields } from './cron';

const ALIAS_WORDS: Readonly<Record<string, string>> = {
  '@hourly': 'Every hour, on the hour',
  '@daily': 'Every day at midnight',
  '@midnight': 'Every day at midnight',
  '@weekly': 'Every Sunday at midnight',
  '@monthly': 'On the 1st of every month at midnight',
  '@yearly': 'Every year on January 1 at midnight',
  '@annually': 'Every year on January 1 at midnight',
};

function describe(expr: string): string {
  return cronToString(expr, { use24HourTimeFormat: true, throwExceptionOnParseError: true });
}

/** "Monday through Friday", "Sunday and Saturday", "Monday, Wednesday and Friday". */
export function weekdaysText(days: readonly number[]): string {
  const parts: string[] = [];
  for (let i = 0; i < days.length; ) {
    let j = i;
    while (j + 1 < days.length && days[j + 1] === days[j] + 1) j++;
    if (j - i >= 2) parts.push(`${DOW_FULL[days[i]]} through ${DOW_FULL[days[j]]}`);
    else for (let k = i; k <= j; k++) parts.push(DOW_FULL[days[k]]);
    i = j + 1;
  }
  return joinWords(parts);
}

/** The part cronstrue adds after the time for an expression, or undefined when it does not start with `time, `. */
function after(time: string, text: string): string | undefined {
  if (text === time) return '';
  return text.startsWith(`${time}, `) ? text.slice(time.length + 2) : undefined;
}

/** English for a schedule; undefined when the expression is not a valid Backplan schedule. */
export function describeSchedule(expr: string): string | undefined {
  const parsed = parseCron(expr);
  if (!parsed.ok) return undefined;
  if (parsed.alias) return ALIAS_WORDS[parsed.alias];
  const [min, hour, dom, month, dow] = parsed.normalized.split(' ');
  const f: CronFields = parsed.fields;
  try {
    const orRule = !f.domStar && !f.dowStar;
    const andRule = (f.domStar && dom !== '*' && !f.dowStar) || (f.dowStar && dow !== '*' && !f.domStar) || (dom !== '*' && dow !== '*' && f.domStar && f.dowStar);
    if (orRule || andRule) {
      const time = describe(`${min} ${hour} * * *`);
      const domPart = after(time, describe(`${min} ${hour} ${dom} * *`));
      const monthPart = after(time, describe(`${min} ${hour} * ${month} *`));
      if (domPart !== undefined && monthPart !== undefined && domPart !== '') {
        const days = weekdaysText(f.daysOfWeek);
        const dayText = orRule ? `${domPart} and on ${days}` : `${domPart}, but only on ${days}`;
        return `${time}, ${dayText}${monthPart ? `, ${monthPart}` : ''}`;
      }
    }
    return describe(parsed.normalized);
  } catch {
    return undefined;
  }
}
