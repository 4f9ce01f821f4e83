import { createHash, randomInt } from 'node:crypto';
import { OAuth2Flow } from '../../entities/index.js';
import type { Database } from '../../entities/orm.js';

const STATE_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
/** Upstream's state: 30 letters and digits (about 178 bits). */
const STATE_LENGTH = 30;
/** Authorizations a user may have pending per type; starting one more abandons the oldest. */
const PENDING_PER_USER = 5;

const hashOf = (state: string): string => createHash('sha256').update(state, 'utf8').digest('hex');

function newState(): string {
  let state = '';
  for (let i = 0; i < STATE_LENGTH; i++) state += STATE_ALPHABET[randomInt(STATE_ALPHABET.length)];
  return state;
}

export type PendingFlow = Omit<OAuth2Flow, 'stateHash' | 'expiresAt'>;

/**
 * OAuth2 authorizations waiting for the provider's redirect, keyed by their `state`. A state is redeemed
 * at most once, within `timeoutS`, and only for the type that issued it.
 */
export class PendingFlows {
  constructor(
    private readonly orm: Database,
    private readonly timeoutS: number,
  ) {}

  /** Records the flow; returns its state, the only copy of which leaves in the authorization URL. */
  async begin(flow: PendingFlow): Promise<string> {
    const state = newState();
    const now = Date.now();
    await this.orm.em.fork().transactional(async (em) => {
      await em.nativeDelete(OAuth2Flow, { expiresAt: { $lte: now } });
      const pending = await em.find(
        OAuth2Flow,
        { userUuid: flow.userUuid, authType: flow.authType },
        { orderBy: { expiresAt: 'desc' }, offset: PENDING_PER_USER - 1, fields: ['stateHash'] },
      );
      if (pending.length > 0) {
        await em.nativeDelete(OAuth2Flow, { stateHash: { $in: pending.map((row) => row.stateHash) } });
      }
      em.create(OAuth2Flow, { ...flow, stateHash: hashOf(state), expiresAt: now + this.timeoutS * 1000 });
    });
    return state;
  }

  /** The flow of `state`, removed so that no one redeems it again; null if unknown, expired or taken. */
  async take(authType: string, state: string): Promise<PendingFlow | null> {
    const em = this.orm.em.fork();
    const stateHash = hashOf(state);
    const flow = await em.findOne(OAuth2Flow, { stateHash, authType });
    if (!flow) return null;
    // Of two concurrent redemptions, only the one whose delete removed the row goes on.
    const removed = await em.nativeDelete(OAuth2Flow, { stateHash });
    if (removed === 0 || flow.expiresAt <= Date.now()) return null;
    const { stateHash: _hash, expiresAt: _expiry, ...pending } = flow;
    return pending;
  }

  /** When an abandoned flow's relay connection may close. */
  get timeoutMs(): number {
    return this.timeoutS * 1000;
  }
}
