/**
 * Dev tokens: what local mode accepts instead of Cognito ID tokens.
 *
 * A dev token is a compact JWS (`header.payload.signature`, base64url) signed with HMAC-SHA256
 * under a secret that never leaves the process: random per start, or CLOUDVAULT_LOCAL_SECRET
 * (at least 32 characters) when tokens must survive a restart. Its payload carries the claims a
 * Cognito ID token of the CloudVault user pool carries (`sub`, `email`, `custom:tenantId`,
 * `cognito:groups`, `token_use`, `iat`, `exp`), so the local authorizer can hand the handlers
 * exactly what API Gateway's Cognito user pool authorizer hands them (see `apiGatewayClaims`).
 *
 * These tokens are for loopback development only: they are not Cognito tokens and nothing in
 * AWS accepts them.
 */
import { createHmac, randomBytes, randomUUID, timingSafeEqual } from 'crypto';

/** Issuer of every dev token; a token from anywhere else is refused. */
export const DEV_TOKEN_ISSUER = 'cloudvault-local';
/** Audience (the user pool app client id in Cognito). */
export const DEV_TOKEN_AUDIENCE = 'cloudvault-local-client';
/** Environment variable that fixes the signing secret (otherwise random per process). */
export const SECRET_ENV = 'CLOUDVAULT_LOCAL_SECRET';
/** Cognito ID tokens live one hour by default; so do dev tokens unless told otherwise. */
export const DEFAULT_TTL_SECONDS = 3600;

const HEADER = { alg: 'HS256', typ: 'JWT' } as const;
const BASE64URL = /^[A-Za-z0-9_-]+$/;

/** The user a token is issued for. */
export interface DevUser {
  /** Stable user id (Cognito `sub`). */
  readonly sub: string;
  readonly email: string;
  /** The `custom:tenantId` attribute; omit to test the handlers' personal-tenant fallback. */
  readonly tenantId?: string;
  /** Cognito groups (`admin`, `member`). */
  readonly groups?: readonly string[];
  /** Whether Cognito verified `email` (default true): a user who just changed it to another address has not. */
  readonly emailVerified?: boolean;
}

/** The payload of a dev token (the claims of a Cognito ID token that CloudVault reads, and the JWT basics). */
export interface DevTokenClaims {
  readonly 'sub': string;
  readonly 'email': string;
  readonly 'email_verified': boolean;
  readonly 'custom:tenantId'?: string;
  readonly 'cognito:groups'?: string[];
  readonly 'cognito:username': string;
  readonly 'token_use': 'id';
  readonly 'iss': string;
  readonly 'aud': string;
  readonly 'jti': string;
  readonly 'auth_time': number;
  /** Seconds since the epoch. */
  readonly 'iat': number;
  /** Seconds since the epoch. */
  readonly 'exp': number;
}

/** Why a token was refused; API Gateway answers `expired` differently from the rest. */
export type RejectReason = 'malformed' | 'bad-signature' | 'expired' | 'wrong-issuer';

export type VerifyResult =
  | { readonly ok: true; readonly claims: DevTokenClaims }
  | { readonly ok: false; readonly reason: RejectReason };

export interface DevTokenOptions {
  /** Signing secret; default CLOUDVAULT_LOCAL_SECRET, else 32 random bytes. */
  readonly secret?: string | Buffer;
  /** Clock in milliseconds (tests). */
  readonly now?: () => number;
}

export interface IssueOptions {
  /** Lifetime; negative values issue an already expired token (tests). Default one hour. */
  readonly ttlSeconds?: number;
}

const b64url = (data: Buffer | string): string => Buffer.from(data).toString('base64url');

function secretFrom(option: string | Buffer | undefined): Buffer {
  if (option !== undefined) return Buffer.from(option);
  const fromEnv = process.env[SECRET_ENV];
  if (fromEnv !== undefined && fromEnv !== '') {
    if (fromEnv.length < 32) throw new Error(`${SECRET_ENV} must be at least 32 characters`);
    return Buffer.from(fromEnv);
  }
  return randomBytes(32);
}

/** Issues and verifies dev tokens under one secret. */
export class DevTokens {
  private readonly secret: Buffer;
  private readonly now: () => number;

  constructor(options: DevTokenOptions = {}) {
    this.secret = secretFrom(options.secret);
    if (this.secret.length < 16) throw new Error('The dev token secret must be at least 16 bytes');
    this.now = options.now ?? Date.now;
  }

  /** A signed token for `user`. */
  issue(user: DevUser, options: IssueOptions = {}): string {
    const iat = Math.floor(this.now() / 1000);
    const claims: DevTokenClaims = {
      'sub': user.sub,
      'email': user.email,
      'email_verified': user.emailVerified ?? true,
      ...(user.tenantId === undefined ? {} : { 'custom:tenantId': user.tenantId }),
      // Cognito leaves the claim out for a user in no group.
      ...(user.groups && user.groups.length > 0 ? { 'cognito:groups': [...user.groups] } : {}),
      'cognito:username': user.sub,
      'token_use': 'id',
      'iss': DEV_TOKEN_ISSUER,
      'aud': DEV_TOKEN_AUDIENCE,
      'jti': randomUUID(),
      'auth_time': iat,
      'iat': iat,
      'exp': iat + (options.ttlSeconds ?? DEFAULT_TTL_SECONDS),
    };
    const signingInput = `${b64url(JSON.stringify(HEADER))}.${b64url(JSON.stringify(claims))}`;
    return `${signingInput}.${this.sign(signingInput).toString('base64url')}`;
  }

  /** Checks form, signature (constant time), issuer and expiry, in that order. */
  verify(token: string): VerifyResult {
    const parts = token.split('.');
    if (parts.length !== 3 || !parts.every((p) => BASE64URL.test(p))) return { ok: false, reason: 'malformed' };
    const [header, payload, signature] = parts;
    const expected = this.sign(`${header}.${payload}`);
    const given = Buffer.from(signature, 'base64url');
    // timingSafeEqual needs equal lengths; the length of an HMAC is public anyway.
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, reason: 'bad-signature' };

    // Signed by us, so the JSON is ours; still check the header (no `alg` switching) and the types.
    const parsedHeader = parseJson(header);
    if (parsedHeader?.alg !== HEADER.alg || parsedHeader?.typ !== HEADER.typ) return { ok: false, reason: 'malformed' };
    const claims = parseJson(payload);
    if (!claims || typeof claims.sub !== 'string' || claims.sub === '' || typeof claims.exp !== 'number' || typeof claims.iat !== 'number') {
      return { ok: false, reason: 'malformed' };
    }
    if (claims.iss !== DEV_TOKEN_ISSUER || claims.token_use !== 'id') return { ok: false, reason: 'wrong-issuer' };
    if (claims.exp * 1000 <= this.now()) return { ok: false, reason: 'expired' };
    return { ok: true, claims: claims as unknown as DevTokenClaims };
  }

  private sign(input: string): Buffer {
    return createHmac('sha256', this.secret).update(input).digest();
  }
}

function parseJson(part: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? value as Record<string, unknown> : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The claims as API Gateway's Cognito user pool authorizer (REST API) passes them in
 * `requestContext.authorizer.claims`: every value a string; `iat` and `exp` as Java date strings
 * (`Fri Jul 29 18:52:53 UTC 2016`); `auth_time` as epoch seconds; `cognito:groups` as the
 * groups joined by commas (`admin,member`); booleans as `true`/`false`.
 */
export function apiGatewayClaims(claims: DevTokenClaims): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(claims)) {
    if (value === undefined) continue;
    if (name === 'iat' || name === 'exp') out[name] = javaDateString(new Date((value as number) * 1000));
    else if (Array.isArray(value)) out[name] = value.join(',');
    else out[name] = String(value);
  }
  return out;
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad = (n: number) => String(n).padStart(2, '0');

/** `java.util.Date#toString()` in UTC, the form API Gateway uses for date claims. */
export function javaDateString(d: Date): string {
  return `${DAYS[d.getUTCDay()]} ${MONTHS[d.getUTCMonth()]} ${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} UTC ${d.getUTCFullYear()}`;
}
