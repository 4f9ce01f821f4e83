import { randomUUID } from 'node:crypto';
import { findMasterTenant, Session, Tenant, Token } from '../../src/entities/index.js';
import { openDatabase } from '../../src/entities/orm.js';

/** A user token written straight into the database, as a login would leave it. */
export interface BulkToken {
  token: string;
  sessionUuid: string;
  userUuid: string;
  /** Epoch seconds, whole (as stored). */
  expireT: number;
}

export interface BulkTokenOptions {
  /** One ACL for every token, or the ACL of the token at `index`. */
  acl: string[] | ((index: number) => string[]);
  /** `master`: every token in the master tenant; `sub`: in one sub-tenant created for them. */
  tenant: 'master' | 'sub';
  /** Where each login came from; by default every token has the same, which flatters a memory figure. */
  client?: (index: number) => { remoteAddr: string; userAgent: string };
  /** The platform's uuid, as logins write it into the token and its metadata; null by default. */
  xivoUuid?: string;
}

const SAME_CLIENT = { remoteAddr: '127.0.0.1', userAgent: 'websocket.bench' };

/** Rows per INSERT: well under SQLite's limit on bound variables per statement. */
const ROWS_PER_STATEMENT = 500;

/**
 * Writes one session and one token per expiry, in one transaction (logins would cost an argon2
 * verification each, ~100 ms). The database is migrated first, so this can run before the server has
 * ever started on it; the server loads these tokens lazily on first use.
 */
export async function insertTokens(
  dbUri: string,
  expiries: readonly number[],
  options: BulkTokenOptions,
): Promise<BulkToken[]> {
  const orm = await openDatabase(dbUri);
  try {
    const now = Math.trunc(Date.now() / 1000);
    const tokens = expiries.map((expireT) => ({
      token: randomUUID(),
      sessionUuid: randomUUID(),
      userUuid: randomUUID(),
      expireT,
    }));
    await orm.em.fork().transactional(async (em) => {
      const master = (await findMasterTenant(em))!.uuid;
      let tenant = master;
      if (options.tenant === 'sub') {
        tenant = randomUUID();
        await em.insert(Tenant, { uuid: tenant, name: 'bench', slug: 'bench', parent: master });
      }
      for (let start = 0; start < tokens.length; start += ROWS_PER_STATEMENT) {
        const chunk = tokens.slice(start, start + ROWS_PER_STATEMENT);
        await em.insertMany(
          Session,
          chunk.map((t) => ({ uuid: t.sessionUuid, tenant, mobile: false })),
        );
        await em.insertMany(
          Token,
          chunk.map((t, offset) => ({
            uuid: t.token,
            session: t.sessionUuid,
            authId: t.userUuid,
            pbxUserUuid: t.userUuid,
            xivoUuid: options.xivoUuid ?? null,
            issuedT: now,
            expireT: t.expireT,
            // What a `wazo_user` login writes (tokens.md §2.1).
            metadata: {
              uuid: t.userUuid,
              tenant_uuid: tenant,
              auth_id: t.userUuid,
              pbx_user_uuid: t.userUuid,
              xivo_uuid: options.xivoUuid ?? null,
              purpose: 'user',
            },
            ...(options.client?.(start + offset) ?? SAME_CLIENT),
            acl: typeof options.acl === 'function' ? options.acl(start + offset) : options.acl,
            refreshToken: null,
          })),
        );
      }
    });
    return tokens;
  } finally {
    await orm.close();
  }
}
