import t from 'tap';
import { findMasterTenant, Session, Token } from '../../src/entities/index.js';
import { createLogger } from '../../src/log/logger.js';
import { TokenCache } from '../../src/tokens/cache.js';
import { TokenCleanup } from '../../src/tokens/cleanup.js';
import type { TokenRecord } from '../../src/tokens/record.js';
import { TokenRepository } from '../../src/tokens/repository.js';
import { migratedDatabase } from '../helpers/db.js';
import { LogSink } from '../helpers/server.js';

t.test('the cleanup purges expired tokens in batches, with their sessions', async (t) => {
  const orm = await migratedDatabase(t);
  const repository = new TokenRepository(orm);
  const cache = new TokenCache(repository);
  t.teardown(() => cache.close());
  const master = (await findMasterTenant(orm.em.fork()))!.uuid;
  const now = Math.trunc(Date.now() / 1000);
  const record = (index: number, expireT: number): TokenRecord => ({
    token: `00000000-0000-4000-8000-${String(index).padStart(12, '0')}`,
    authId: 'wazo-auth',
    pbxUserUuid: null,
    xivoUuid: null,
    issuedT: now - 100,
    expireT,
    acl: [],
    metadata: {},
    sessionUuid: `10000000-0000-4000-8000-${String(index).padStart(12, '0')}`,
    sessionTenantUuid: master,
    mobile: false,
    remoteAddr: '',
    userAgent: '',
    refreshTokenUuid: null,
  });
  for (let i = 0; i < 7; i++) await repository.insert(record(i, now - 10 - i));
  for (let i = 7; i < 10; i++) await repository.insert(record(i, now + 3600));
  cache.put(record(0, now - 10));

  const purgedBatches: number[] = [];
  const cleanup = new TokenCleanup(
    repository,
    cache,
    { intervalS: 60, batchSize: 3, onPurged: (batch) => purgedBatches.push(batch.length) },
    createLogger({ log_level: 'info', debug: false }, new LogSink()),
  );
  t.equal(await cleanup.run(), 7);
  t.same(purgedBatches, [3, 3, 1], 'batches until one comes back short');
  t.equal(await orm.em.fork().count(Token, {}), 3);
  t.equal(await orm.em.fork().count(Session, {}), 3, 'sessions go with their tokens');
  t.equal(cache.peek(record(0, 0).token), undefined);
  t.equal(await cleanup.run(), 0, 'nothing left to purge');
});
