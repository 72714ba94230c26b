import { describe, expect, it } from 'vitest';
import { describeSchedule, weekdaysText } from '../../../engine/time/words';

describe('describeSchedule', () => {
  it('uses 24-hour times', () => {
    expect(describeSchedule('30 2 * * *')).toBe('At 02:30');
    expect(describeSchedule('0 14 * * *')).toBe('At 14:00');
  });

  it('describes the aliases', () => {
    expect(describeSchedule('@daily')).toBe('Every day at midnight');
    expect(describeSchedule('@midnight')).toBe('Every day at midnight');
    expect(describeSchedule('@hourly')).toBe('Every hour, on the hour');
    expect(describeSchedule('@weekly')).toBe('Every Sunday at midnight');
    expect(describeSchedule('@monthly')).toBe('On the 1st of every month at midnight');
    expect(describeSchedule('@yearly')).toBe('Every year on January 1 at midnight');
    expect(describeSchedule('@annually')).toBe('Every year on January 1 at midnight');
  });

  it('says OR when both day fields are restricted', () => {
    expect(describeSchedule('0 0 1 * 1')).toBe('At 00:00, on day 1 of the month and on Monday');
    expect(describeSchedule('0 0 1,15 * 1-5')).toBe('At 00:00, on day 1 and 15 of the month and on Monday through Friday');
    expect(describeSchedule('0 0 1 jan,jul 1')).toBe('At 00:00, on day 1 of the month and on Monday, only in January and July');
  });

  it('says AND when a day field is a */n step', () => {
    expect(describeSchedule('0 0 */2 * 1')).toBe('At 00:00, every 2 days, but only on Monday');
    expect(describeSchedule('0 0 1 * */2')).toBe('At 00:00, on day 1 of the month, but only on Sunday, Tuesday, Thursday and Saturday');
  });

  it('leaves ordinary expressions to cronstrue', () => {
    expect(describeSchedule('*/15 9-17 * * mon-fri')).toBe('Every 15 minutes, between 09:00 and 17:59, Monday through Friday');
    expect(describeSchedule('0 */6 * * *')).toBe('At 0 minutes past the hour, every 6 hours');
    expect(describeSchedule('* * * * *')).toBe('Every minute');
  });

  it('returns undefined for what is not a Backplan schedule', () => {
    expect(describeSchedule('0 0 31 2 *')).toBeUndefined();
    expect(describeSchedule('0 30 2 * * *')).toBeUndefined();
    expect(describeSchedule('')).toBeUndefined();
  });
});

describe('weekdaysText', () => {
  it('collapses runs of three or more days', () => {
    expect(weekdaysText([1, 2, 3, 4, 5])).toBe('Monday through Friday');
    expect(weekdaysText([0, 6])).toBe('Sunday and Saturday');
    expect(weekdaysText([1, 3, 5])).toBe('Monday, Wednesday and Friday');
  });
});
