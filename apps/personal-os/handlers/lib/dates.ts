/** Dates are calendar days `YYYY-MM-DD`; the server's "today" is UTC unless the client names its own. */
export const todayUtc = (now = new Date()): string => now.toISOString().slice(0, 10);

/** The day before `date`. */
export function previousDay(date: string): string {
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() - 1);
  return d.toISOString().slice(0, 10);
}

/** Current and longest runs of consecutive days. */
export interface Streaks {
  /** Consecutive days ending `today`, or yesterday (a streak is only broken once a whole day is missed). */
  readonly current: number;
  readonly longest: number;
}

/** Streaks of a set of logged days (any order, duplicates ignored). */
export function streaksOf(days: Iterable<string>, today: string): Streaks {
  const set = new Set(days);
  let longest = 0;
  for (const day of set) {
    if (set.has(previousDay(day))) continue; // not the start of a run
    let length = 1;
    let next = nextDay(day);
    while (set.has(next)) {
      length++;
      next = nextDay(next);
    }
    longest = Math.max(longest, length);
  }
  let end = set.has(today) ? today : previousDay(today);
  let current = 0;
  while (set.has(end)) {
    current++;
    end = previousDay(end);
  }
  return { current, longest };
}

function nextDay(date: string): string {
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + 1);
  return d.toISOString().slice(0, 10);
}
