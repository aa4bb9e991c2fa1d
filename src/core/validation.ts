import { Duration, Token } from 'aws-cdk-lib';

/**
 * Validates construct props at construction time and throws errors that name the construct,
 * the property, the value and what is allowed, e.g.
 * `SecureTable "Files": pointInTimeRecoveryPeriodDays must be 1-35, got 90`.
 * Unresolved tokens are skipped: their value is only known at deploy time.
 */
export class PropsValidator {
  constructor(private readonly constructName: string, private readonly id: string) {}

  /** Throws unless `ok`; `allowed` completes "<prop> must be ...". */
  public check(ok: boolean, prop: string, value: unknown, allowed: string): void {
    if (!ok) {
      throw new Error(`${this.constructName} "${this.id}": ${prop} must be ${allowed}, got ${describe(value)}`);
    }
  }

  /** An integer or number within [min, max] (inclusive). */
  public range(prop: string, value: number | undefined, min: number, max: number, integer = true): void {
    if (value === undefined || Token.isUnresolved(value)) return;
    const ok = Number.isFinite(value) && value >= min && value <= max && (!integer || Number.isInteger(value));
    this.check(ok, prop, value, `${integer ? 'an integer ' : ''}${min}-${max}`);
  }

  /** A finite number >= min. */
  public atLeast(prop: string, value: number | undefined, min: number): void {
    if (value === undefined || Token.isUnresolved(value)) return;
    this.check(Number.isFinite(value) && value >= min, prop, value, `a number >= ${min}`);
  }

  /** A duration within [min, max] seconds. */
  public durationRange(prop: string, value: Duration | undefined, minSeconds: number, maxSeconds: number): void {
    if (value === undefined || value.isUnresolved()) return;
    const s = value.toMilliseconds() / 1000;
    this.check(s >= minSeconds && s <= maxSeconds, prop, `${s} seconds`, `${minSeconds}-${maxSeconds} seconds`);
  }

  /** A string matching `pattern`; `allowed` says in words what the pattern accepts. */
  public matches(prop: string, value: string | undefined, pattern: RegExp, allowed: string): void {
    if (value === undefined || Token.isUnresolved(value)) return;
    this.check(pattern.test(value), prop, value, allowed);
  }

  /** Values must be in ascending order (e.g. lifecycle transitions). */
  public ascending(prop: string, values: Array<number | undefined>, allowed: string): void {
    const known = values.filter((v): v is number => v !== undefined && !Token.isUnresolved(v));
    for (let i = 1; i < known.length; i++) {
      this.check(known[i] > known[i - 1], prop, known, allowed);
    }
  }
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(describe).join(', ')}]`;
  return String(value);
}
