import { setTimeout as sleep } from 'node:timers/promises';
import { hashPassword, hashPasswordPbkdf2, type StoredPassword, verifyPassword } from '../passwords/index.js';

type Scheme = 'argon2' | 'pbkdf2';

/** Weight of the newest sample in the running cost estimates. */
const ALPHA = 0.2;

const schemeOf = (stored: StoredPassword): Scheme | null =>
  !stored.hash ? null : stored.hash.startsWith('$argon2') ? 'argon2' : 'pbkdf2';

/**
 * Password verification whose failures all take the same time, so that a failed login does not tell
 * whether the login exists, has no password, or has a password stored by upstream (PBKDF2, about 25 %
 * cheaper than argon2id here) rather than by this server.
 *
 * A login without a stored password verifies against a dummy argon2id hash of the same parameters as
 * real ones. Then every failure is padded, by sleeping rather than hashing (an attacker's failures must
 * not cost more CPU), up to the running estimate of the dearest scheme's verification. Successes are not
 * padded: their caller knows the password.
 */
export class EvenTiming {
  private readonly cost: Record<Scheme, number> = { argon2: 0, pbkdf2: 0 };
  private dummies: Promise<Record<Scheme, StoredPassword>> | undefined;

  /** Whether `password` matches `stored` (null: no such login); `needsUpgrade` as verifyPassword. */
  async verify(
    password: string,
    stored: StoredPassword | null,
  ): Promise<{ ok: boolean; needsUpgrade: boolean }> {
    const dummies = await this.calibrated();
    const scheme = stored ? schemeOf(stored) : null;
    const target = scheme && stored ? stored : dummies.argon2;
    const started = performance.now();
    const outcome = await verifyPassword(password, target);
    const spent = performance.now() - started;
    this.sample(scheme ?? 'argon2', spent);
    // A dummy hash never verifies, whatever the password.
    if (outcome.ok && target !== dummies.argon2) return outcome;
    const floor = Math.max(this.cost.argon2, this.cost.pbkdf2);
    if (floor > spent) await sleep(floor - spent);
    return { ok: false, needsUpgrade: false };
  }

  private sample(scheme: Scheme, ms: number): void {
    const previous = this.cost[scheme];
    this.cost[scheme] = previous === 0 ? ms : previous + ALPHA * (ms - previous);
  }

  /** Dummy hashes of both schemes, each verified once so that both costs are known from the start. */
  private calibrated(): Promise<Record<Scheme, StoredPassword>> {
    this.dummies ??= (async () => {
      const [argon2, pbkdf2] = await Promise.all([
        hashPassword('wazo-auth timing equaliser'),
        hashPasswordPbkdf2('wazo-auth timing equaliser'),
      ]);
      for (const [scheme, stored] of [
        ['argon2', argon2],
        ['pbkdf2', pbkdf2],
      ] as const) {
        const started = performance.now();
        await verifyPassword('calibration', stored);
        this.sample(scheme, performance.now() - started);
      }
      return { argon2, pbkdf2 };
    })();
    return this.dummies;
  }
}
