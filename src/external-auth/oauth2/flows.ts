import { createHash, randomInt } from 'node:crypto';
import { OAuth2Flow } from '../../entities/index.js';
import type { Database } from '../../entities/orm.js';

const STATE_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
/** Upstream's state: 30 letters and digits (about 178 bits). */
const STATE_LENGTH = 30;

const hashOf = (state: string): string => createHash('sha256').update(state, 'utf8').digest('hex');

function newState(): string {
  let state = '';
  for (let i = 0; i < STATE_LENGTH; i++) state += STATE_ALPHABET[randomInt(STATE_ALPHABET.length)];
  return state;
}

/** An authorization waiting for the provider's redirect. */
export interface PendingFlow {
  authType: string;
  userUuid: string;
  /** The tenant whose configuration holds the client id and secret. */
  tenantUuid: string;
  /** The requested scopes, space-separated. */
  scope: string;
  codeVerifier: string | null;
  /** The session of the token that started the flow: the flow completes only while it lives. */
  sessionUuid: string;
}

/**
 * OAuth2 authorizations waiting for the provider's redirect, keyed by their `state`. A state is redeemed
 * at most once, within `timeoutS`, only for the type that issued it, and only while it is the user's
 * latest for that type: starting a new authorization abandons the previous one.
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
      await em.nativeDelete(OAuth2Flow, {
        $or: [{ expiresAt: { $lte: now } }, { userUuid: flow.userUuid, authType: flow.authType }],
      });
      em.create(OAuth2Flow, {
        authType: flow.authType,
        userUuid: flow.userUuid,
        tenantUuid: flow.tenantUuid,
        scope: flow.scope,
        codeVerifier: flow.codeVerifier,
        sessionUuid: flow.sessionUuid,
        stateHash: hashOf(state),
        expiresAt: now + this.timeoutS * 1000,
      });
    });
    return state;
  }

  /**
   * The flow of `state`, removed so that no one redeems it again; null if unknown, expired, superseded,
   * taken, or recorded without its starting session.
   */
  async take(authType: string, state: string): Promise<PendingFlow | null> {
    const em = this.orm.em.fork();
    const stateHash = hashOf(state);
    const row = await em.findOne(OAuth2Flow, { stateHash, authType });
    if (!row) return null;
    // Of two concurrent redemptions, only the one whose delete removed the row goes on.
    const removed = await em.nativeDelete(OAuth2Flow, { stateHash });
    if (removed === 0 || row.expiresAt <= Date.now()) return null;
    const { userUuid, tenantUuid, scope, codeVerifier, sessionUuid } = row;
    if (sessionUuid === null) return null;
    return { authType, userUuid, tenantUuid, scope, codeVerifier, sessionUuid };
  }

  /** When an abandoned flow's relay connection may close. */
  get timeoutMs(): number {
    return this.timeoutS * 1000;
  }
}
