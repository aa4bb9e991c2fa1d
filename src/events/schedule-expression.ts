/**
 * Validation of EventBridge Scheduler cron expressions and time zone names, so that a schedule
 * the service would reject fails at synth with the field at fault instead of at deployment.
 * Follows the documented syntax (EventBridge "Cron expressions reference"):
 *
 * | Field        | Values          | Wildcards     |
 * | ------------ | --------------- | ------------- |
 * | minutes      | 0-59            | , - * /       |
 * | hours        | 0-23            | , - * /       |
 * | day-of-month | 1-31            | , - * ? / L W |
 * | month        | 1-12 or JAN-DEC | , - * /       |
 * | day-of-week  | 1-7 or SUN-SAT  | , - * ? L #   |
 * | year         | 1970-2199       | , - * /       |
 *
 * One of day-of-month and day-of-week must be `?`; `#` stands alone in day-of-week.
 */

interface CronField {
  readonly name: string;
  readonly min: number;
  readonly max: number;
  readonly names?: string[];
  readonly wildcards: string;
}

const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const DAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

const FIELDS: CronField[] = [
  { name: 'minutes', min: 0, max: 59, wildcards: ', - * /' },
  { name: 'hours', min: 0, max: 23, wildcards: ', - * /' },
  { name: 'day-of-month', min: 1, max: 31, wildcards: ', - * ? / L W' },
  { name: 'month', min: 1, max: 12, names: MONTHS, wildcards: ', - * /' },
  { name: 'day-of-week', min: 1, max: 7, names: DAYS, wildcards: ', - * ? L #' },
  { name: 'year', min: 1970, max: 2199, wildcards: ', - * /' },
];

const SPECIAL_FORMS: Record<string, string> = {
  'day-of-month': '"L" and "W" stand alone in day-of-month: L (last day), LW (last weekday) or nW (weekday nearest day n, e.g. 15W)',
  'day-of-week': '"L" and "#" stand alone in day-of-week: L, nL (last day n of the month, e.g. 6L) or n#k (e.g. 3#2)',
};

/** Accepts `0 3 * * ? *` as well as `cron(0 3 * * ? *)`; returns the six fields joined by one space. */
export function normalizeCron(expression: string): string {
  const inner = /^\s*cron\((.*)\)\s*$/.exec(expression)?.[1] ?? expression;
  return inner.trim().split(/\s+/).join(' ');
}

/**
 * Why EventBridge Scheduler would reject the cron expression, or undefined when it is valid.
 * The reason names the field, e.g. `day-of-week "MON-FUN": "FUN" is not 1-7 or SUN-SAT`.
 */
export function cronError(expression: string): string | undefined {
  const parts = normalizeCron(expression).split(' ').filter(Boolean);
  if (parts.length !== 6) {
    return `6 fields "minutes hours day-of-month month day-of-week year" are required, found ${parts.length}`;
  }
  for (let i = 0; i < FIELDS.length; i++) {
    const reason = fieldError(FIELDS[i], parts[i].toUpperCase());
    if (reason) return `${FIELDS[i].name} "${parts[i]}": ${reason}`;
  }
  const [dayOfMonth, dayOfWeek] = [parts[2], parts[4]];
  if ((dayOfMonth === '?') === (dayOfWeek === '?')) {
    return `exactly one of day-of-month ("${dayOfMonth}") and day-of-week ("${dayOfWeek}") must be "?"`;
  }
  return undefined;
}

function fieldError(field: CronField, text: string): string | undefined {
  const allowed = `${field.min}-${field.max}${field.names ? ` or ${field.names[0]}-${field.names[field.names.length - 1]}` : ''}`;
  if (text === '*') return undefined;
  if (text === '?') {
    return field.wildcards.includes('?') ? undefined : '"?" is only allowed in day-of-month and day-of-week';
  }
  if (field.name === 'day-of-month' && /^(L|LW|\d{1,2}W)$/.test(text)) {
    // Last day, last weekday, or the weekday nearest to day n; each stands alone.
    return text.startsWith('L') ? undefined : valueError(field, text.slice(0, -1), allowed);
  }
  if (field.name === 'day-of-week') {
    if (text === 'L') return undefined;
    const last = /^([A-Z0-9]+)L$/.exec(text);
    if (last) return valueError(field, last[1], allowed);
    if (text.includes('#')) {
      const nth = /^([A-Z0-9]+)#(\d+)$/.exec(text);
      if (!nth) return '"#" takes the form day#n (e.g. 3#2 or TUE#2, the second Tuesday) and stands alone, not in a list or range';
      return valueError(field, nth[1], allowed) ?? (Number(nth[2]) >= 1 && Number(nth[2]) <= 5 ? undefined : `"#${nth[2]}" must be #1-#5`);
    }
  }
  if (/[LW#]/.test(text.replace(/[A-Z]{3}/g, ''))) {
    return SPECIAL_FORMS[field.name] ?? '"L", "W" and "#" are only allowed in day-of-month and day-of-week';
  }
  for (const item of text.split(',')) {
    const reason = itemError(field, item, allowed);
    if (reason) return reason;
  }
  return undefined;
}

/** One list item: a value, a range `a-b`, or either (or `*`) with a step `/n`. */
function itemError(field: CronField, item: string, allowed: string): string | undefined {
  if (item === '') return 'empty list item (check the commas)';
  const [base, step, extra] = item.split('/');
  if (extra !== undefined) return `"${item}" has more than one "/"`;
  if (step !== undefined) {
    if (!field.wildcards.includes('/')) return `"/" (increments) is not allowed in ${field.name}`;
    const span = field.max - field.min + (field.min === 0 ? 0 : 1);
    if (!/^\d+$/.test(step) || Number(step) < 1 || Number(step) > span) return `the increment "/${step}" must be an integer 1-${span}`;
    if (base === '*') return undefined;
  }
  if (base === '*' || base === '?') return `"${base}" cannot be combined with other values`;
  const bounds = base.split('-');
  if (bounds.length > 2) return `"${base}" is not a value or a range a-b`;
  for (const bound of bounds) {
    const reason = valueError(field, bound, allowed);
    if (reason) return reason;
  }
  return undefined;
}

function valueError(field: CronField, text: string, allowed: string): string | undefined {
  if (text === '') return `a value is missing (values are ${allowed})`;
  const named = field.names?.indexOf(text) ?? -1;
  if (named >= 0) return undefined;
  if (!/^\d+$/.test(text)) return `"${text}" is not ${allowed}`;
  const n = Number(text);
  return n >= field.min && n <= field.max ? undefined : `${n} is outside ${allowed}`;
}

/**
 * True for a time zone name of the IANA database as EventBridge Scheduler takes it (e.g.
 * `Europe/Paris`, `America/New_York`, `UTC`). Checked against the ICU data Node.js ships,
 * which also knows the database's links (`Asia/Calcutta`); names must be cased as in the database.
 */
export function isTimeZone(name: string): boolean {
  if (!/^[A-Za-z][A-Za-z0-9_+-]*(\/[A-Za-z0-9_+-]+)*$/.test(name)) return false;
  try {
    const resolved = new Intl.DateTimeFormat('en-US', { timeZone: name }).resolvedOptions().timeZone;
    // ICU matches case-insensitively; the service does not.
    return !(resolved.toLowerCase() === name.toLowerCase() && resolved !== name);
  } catch {
    return false;
  }
}
