import { pbkdf2, randomBytes, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';
import argon2 from 'argon2';

const pbkdf2Async = promisify(pbkdf2);

/** Upstream's scheme (users.md §2.2): PBKDF2-HMAC-SHA512, 250 000 rounds, 64-byte salt, hex digest. */
const PBKDF2 = { iterations: 250_000, keyLength: 64, digest: 'sha512', saltLength: 64 } as const;

export interface StoredPassword {
  /** `password_hash`: an argon2id PHC string, or upstream's hex PBKDF2 digest. */
  hash: string | null;
  /** `password_salt`: only upstream's PBKDF2 hashes have one. */
  salt: Buffer | null;
}

export interface Verification {
  ok: boolean;
  /** The stored hash is upstream's PBKDF2: replace it with argon2id now that the password is known. */
  needsUpgrade: boolean;
}

/** argon2id runs on libuv's thread pool, so hashing never blocks the event loop. */
export async function hashPassword(password: string): Promise<StoredPassword> {
  return { hash: await argon2.hash(password, { type: argon2.argon2id }), salt: null };
}

/** Upstream's hash, for tests and tools that must produce what an upstream database holds. */
export async function hashPasswordPbkdf2(
  password: string,
  salt = randomBytes(PBKDF2.saltLength),
): Promise<StoredPassword> {
  const key = await pbkdf2Async(password, salt, PBKDF2.iterations, PBKDF2.keyLength, PBKDF2.digest);
  return { hash: key.toString('hex'), salt };
}

export async function verifyPassword(password: string, stored: StoredPassword): Promise<Verification> {
  const { hash, salt } = stored;
  if (!hash) return { ok: false, needsUpgrade: false };
  if (hash.startsWith('$argon2')) {
    try {
      return { ok: await argon2.verify(hash, password), needsUpgrade: false };
    } catch {
      return { ok: false, needsUpgrade: false };
    }
  }
  if (!salt || !/^[0-9a-f]+$/i.test(hash)) return { ok: false, needsUpgrade: false };
  const expected = Buffer.from(hash, 'hex');
  const actual = await pbkdf2Async(password, salt, PBKDF2.iterations, expected.length, PBKDF2.digest);
  const ok = expected.length === actual.length && timingSafeEqual(expected, actual);
  return { ok, needsUpgrade: ok };
}

let dummy: Promise<StoredPassword> | undefined;

/**
 * Spends the time of a real verification when there is no user to verify against, so that a login's
 * duration does not tell whether the username exists.
 */
export async function verifyNothing(password: string): Promise<false> {
  dummy ??= hashPassword('wazo-auth timing equaliser');
  await verifyPassword(password, await dummy);
  return false;
}
