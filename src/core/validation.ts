import { Duration, Token } from 'aws-cdk-lib';

/**
 * Validates construct props at construction time and throws errors that name the construct,
 * the property, the value and what is allowed, e.g.
 * `SecureTable "Files": pointInTimeRecoveryPeriodDays must be 1-35, got 90`.
 * Unresolved tokens are skipped: their value is only known at deploy time.
 */
export class PropsValidator {
  private readonly subject: string;

  /**
   * Messages start with `<constructName> "<id>"`; without `id`, with `constructName` alone, as for
   * the arguments of a static factory or a class that is no construct
   * (`ApiAuthorization.none: reason must be a sentence (20+ characters) ..., got undefined`).
   */
  constructor(constructName: string, id?: string) {
    this.subject = id === undefined ? constructName : `${constructName} "${id}"`;
  }

  /** Throws unless `ok`; `allowed` completes "<prop> must be ...". */
  public check(ok: boolean, prop: string, value: unknown, allowed: string): void {
    if (!ok) {
      throw new Error(`${this.subject}: ${prop} must be ${allowed}, got ${describe(value)}`);
    }
  }

  /**
   * A required argument or prop, checked at run time: callers from plain JavaScript (or through
   * `any`) get this message instead of a TypeError further in. Throws unless `value` is of
   * `kind` (`object`: not null and not an array; class instances and interfaces count).
   */
  public required(prop: string, value: unknown, kind: ArgumentKind, allowed: string): void {
    this.check(isKind(value, kind), prop, value, allowed);
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

/** What {@link PropsValidator.required} checks a value's run-time type against. */
export type ArgumentKind = 'string' | 'number' | 'boolean' | 'object' | 'array' | 'function';

function isKind(value: unknown, kind: ArgumentKind): boolean {
  switch (kind) {
    case 'array': return Array.isArray(value);
    case 'object': return value !== null && typeof value === 'object' && !Array.isArray(value);
    default: return typeof value === kind;
  }
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(describe).join(', ')}]`;
  if (value !== null && typeof value === 'object' && !(value as object).toString) return 'an object'; // Object.create(null)
  return String(value);
}
