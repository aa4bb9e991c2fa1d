import { Duration, Token } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';

/**
 * Validates construct props at construction time and throws errors that name the construct,
 * the property, the value and what is allowed, e.g.
 * `SecureTable "Files": pointInTimeRecoveryPeriodDays must be 1-35, got 90`.
 * Unresolved tokens are skipped: their value is only known at deploy time.
 */
export class PropsValidator {
  /**
   * For what a construct's method adds under `id` (an alarm, a domain mapping):
   * `<constructName> "<parent id>/<id>" (<parent path>/<id>)`.
   */
  public static forChild(constructName: string, parent: IConstruct, id: string): PropsValidator {
    const v = new PropsValidator(constructName);
    v.subject = `${constructName} "${parent.node.id}/${id}" (${parent.node.path}/${id})`;
    return v;
  }

  private subject: string;

  /**
   * Messages start with `<constructName> "<id>" (<path>)` for a construct, so that a user finds it
   * among several of the same id; with `<constructName> "<id>"` for an id that names no construct
   * yet (a static factory's arguments); with `constructName` alone for a class that is no construct
   * (`ApiAuthorization.none: reason must be a sentence (20+ characters) ..., got undefined`).
   */
  constructor(constructName: string, subject?: string | IConstruct) {
    if (subject === undefined) this.subject = constructName;
    else if (typeof subject === 'string') this.subject = `${constructName} "${subject}"`;
    else this.subject = `${constructName} "${subject.node.id}" (${subject.node.path})`;
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
