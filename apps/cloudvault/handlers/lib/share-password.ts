/**
 * Share link passwords: stored only as a salted scrypt hash, compared in constant time.
 *
 * Stored form: `scrypt$<N>$<r>$<p>$<salt base64url>$<hash base64url>`. The cost parameters travel
 * with the hash, so they can be raised later without invalidating existing links.
 * Parameters: N=2^15, r=8, p=3 (one of OWASP's recommended scrypt settings; 32 MiB, tens of ms).
 */
import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';

const COST = { N: 2 ** 15, r: 8, p: 3 };
const SALT_BYTES = 16;
const HASH_BYTES = 32;
/** scrypt needs 128 * N * r bytes; Node's default ceiling (32 MiB) is exactly that, so leave headroom. */
const MAX_MEMORY = 64 * 1024 * 1024;

function derive(password: string, salt: Buffer, cost: { N: number; r: number; p: number }): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    // NFC: the same password typed on different systems hashes the same.
    scrypt(password.normalize('NFC'), salt, HASH_BYTES, { ...cost, maxmem: MAX_MEMORY }, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

/** A new salted hash of `password`. */
export async function hashSharePassword(password: string): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const hash = await derive(password, salt, COST);
  return ['scrypt', COST.N, COST.r, COST.p, salt.toString('base64url'), hash.toString('base64url')].join('$');
}

/** Whether `password` matches `stored`, in time independent of where they differ. False for a malformed hash. */
export async function verifySharePassword(password: string, stored: string): Promise<boolean> {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [N, r, p] = parts.slice(1, 4).map(Number);
  // Bounds guard against a corrupted item turning one request into a memory or CPU bomb.
  const sane = [N, r, p].every(Number.isInteger) && N >= 2 ** 10 && r >= 1 && p >= 1 && p <= 16 && 128 * N * r <= MAX_MEMORY;
  if (!sane) return false;
  const expected = Buffer.from(parts[5], 'base64url');
  if (expected.length !== HASH_BYTES) return false;
  const actual = await derive(password, Buffer.from(parts[4], 'base64url'), { N, r, p });
  return timingSafeEqual(actual, expected);
}
