import t from 'tap';
import { Outbox } from '../../src/bus/outbox.js';
import { findMasterTenant, OutboxEntry, Session, Token } from '../../src/entities/index.js';
import type { Database } from '../../src/entities/orm.js';
import { createLogger } from '../../src/log/logger.js';
import { TokenCache } from '../../src/tokens/cache.js';
import { TokenCleanup } from '../../src/tokens/cleanup.js';
import type { TokenRecord } from '../../src/tokens/record.js';
import { TokenRepository } from '../../src/tokens/repository.js';
import { migratedDatabase } from '../helpers/db.js';
import { LogSink } from '../helpers/server.js';

const ORIGIN = '99999999-0000-4000-8000-000000000000';
const USER = '88888888-0000-4000-8000-000000000000';

/** The events staged in the outbox, oldest first, as `name session`. */
async function staged(orm: Database): Promise<string[]> {
  const rows = await orm.em.fork().find(OutboxEntry, {}, { orderBy: { id: 'asc' } });
  return rows.map((row) => {
    const body = JSON.parse(row.body);
    return `${body.name} ${body.data.uuid}`;
  });
}

t.test('the cleanup purges expired tokens in batches, then announces the ones about to expire', async (t) => {
  const orm = await migratedDatabase(t);
  const repository = new TokenRepository(orm, new Outbox(orm, { toBroker: true, originUuid: ORIGIN }));
  const cache = new TokenCache(repository);
  t.teardown(() => cache.close());
  const master = (await findMasterTenant(orm.em.fork()))!.uuid;
  const now = Math.trunc(Date.now() / 1000);
  const session = (index: number) => `10000000-0000-4000-8000-${String(index).padStart(12, '0')}`;
  const record = (index: number, expireT: number): TokenRecord => ({
    token: `00000000-0000-4000-8000-${String(index).padStart(12, '0')}`,
    authId: USER,
    pbxUserUuid: null,
    xivoUuid: null,
    issuedT: now - 100,
    expireT,
    acl: [],
    // Tokens without a tenant in their metadata are purged and announced silently (sessions.md §3).
    metadata: index % 2 === 0 ? { tenant_uuid: master } : {},
    sessionUuid: session(index),
    sessionTenantUuid: master,
    mobile: false,
    remoteAddr: '',
    userAgent: '',
    refreshTokenUuid: null,
  });
  for (let i = 0; i < 7; i++) await repository.insert(record(i, now - 10 - i));
  for (let i = 7; i < 10; i++) await repository.insert(record(i, now + 30 + i));
  for (let i = 10; i < 12; i++) await repository.insert(record(i, now + 3600));
  cache.put(record(0, now - 10));
  await orm.em.fork().nativeDelete(OutboxEntry, {}); // the session_created events of the set-up

  const batches: number[] = [];
  const deleteExpired = repository.deleteExpired.bind(repository);
  repository.deleteExpired = async (...args) => {
    const batch = await deleteExpired(...args);
    batches.push(batch.length);
    return batch;
  };
  const cleanup = new TokenCleanup(
    repository,
    async (tokens) => {
      for (const token of tokens) cache.evict(token);
    },
    { intervalS: 60, batchSize: 3 },
    createLogger({ log_level: 'info', debug: false }, new LogSink()),
  );
  t.equal(await cleanup.run(), 7);
  t.same(batches, [3, 3, 1], 'batches until one comes back short');
  t.equal(await orm.em.fork().count(Token, {}), 5);
  t.equal(await orm.em.fork().count(Session, {}), 5, 'sessions go with their tokens');
  t.equal(cache.peek(record(0, 0).token), undefined);
  t.same(await staged(orm), [
    // oldest expiry first: 6, 5, 4 | 3, 2, 1 | 0, with metadata tenant: even ones
    `auth_session_deleted ${session(6)}`,
    `auth_session_deleted ${session(4)}`,
    `auth_session_deleted ${session(2)}`,
    `auth_session_deleted ${session(0)}`,
    `auth_session_expire_soon ${session(8)}`,
  ]);
  const [expiring] = await orm.em.fork().find(OutboxEntry, { routingKey: { $like: '%expire_soon' } });
  t.equal(expiring?.routingKey, `auth.users.${USER}.sessions.${session(8)}.expire_soon`);
  t.match(JSON.parse(expiring!.body), {
    name: 'auth_session_expire_soon',
    origin_uuid: ORIGIN,
    tenant_uuid: master,
    [`user_uuid:${USER}`]: true,
    session_uuid: session(8),
    data: { uuid: session(8), user_uuid: USER, tenant_uuid: master },
  });
  t.equal(await cleanup.run(), 0, 'nothing left to purge');
});

t.test('without a broker, nothing is kept in the outbox', async (t) => {
  const orm = await migratedDatabase(t);
  const repository = new TokenRepository(orm, new Outbox(orm, { toBroker: false, originUuid: ORIGIN }));
  const master = (await findMasterTenant(orm.em.fork()))!.uuid;
  const now = Math.trunc(Date.now() / 1000);
  await repository.insert({
    token: '00000000-0000-4000-8000-000000000001',
    authId: USER,
    pbxUserUuid: null,
    xivoUuid: null,
    issuedT: now,
    expireT: now + 5,
    acl: [],
    metadata: { tenant_uuid: master },
    sessionUuid: '10000000-0000-4000-8000-000000000001',
    sessionTenantUuid: master,
    mobile: false,
    remoteAddr: '',
    userAgent: '',
    refreshTokenUuid: null,
  });
  t.equal(await repository.announceExpiring(now + 60, 10), 0);
  await repository.delete('00000000-0000-4000-8000-000000000001');
  t.equal(await orm.em.fork().count(OutboxEntry, {}), 0);
});
