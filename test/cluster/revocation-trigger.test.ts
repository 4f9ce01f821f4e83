import { randomUUID } from 'node:crypto';
import pg from 'pg';
import t from 'tap';
import { Outbox } from '../../src/bus/outbox.js';
import { REVOCATION_CHANNEL } from '../../src/db/revocation-trigger.js';
import { applyMigrations, type Database } from '../../src/entities/orm.js';
import { TokenRepository } from '../../src/tokens/repository.js';
import { migratedDatabase } from '../helpers/db.js';

/*
 * The revocation notices leave from the deleting transaction itself (src/db/revocation-trigger.ts),
 * whatever deletes the rows: listened to here on a real database.
 */

/** A listener on the channel, with every uuid it heard and the raw payloads. */
async function listen(orm: Database, t: { teardown(fn: () => unknown): void }) {
  const client = new pg.Client({ connectionString: orm.config.get('clientUrl') });
  await client.connect();
  t.teardown(() => client.end());
  const payloads: string[] = [];
  client.on('notification', (notice) => {
    if (notice.channel === REVOCATION_CHANNEL && notice.payload) payloads.push(notice.payload);
  });
  await client.query(`LISTEN ${REVOCATION_CHANNEL}`);
  const heard = () => payloads.flatMap((payload) => JSON.parse(payload) as string[]);
  return {
    payloads,
    heard,
    /** Waits until `count` uuids were heard (or 3 s passed). */
    async until(count: number): Promise<string[]> {
      for (let waited = 0; heard().length < count && waited < 3000; waited += 20)
        await new Promise((resolve) => setTimeout(resolve, 20));
      return heard();
    },
    clear: () => payloads.splice(0),
  };
}

/** A tenant of its own (its own parent) with `count` sessions and tokens expiring at `expireT`. */
async function seed(
  orm: Database,
  count: number,
  expireT: number,
): Promise<{ tenant: string; tokens: string[] }> {
  const connection = orm.em.getConnection();
  const tenant = randomUUID();
  await connection.execute('insert into auth_tenant (uuid, slug, parent_uuid) values (?, ?, ?)', [
    tenant,
    tenant.slice(0, 10),
    tenant,
  ]);
  const tokens = Array.from({ length: count }, () => randomUUID());
  const rows = JSON.stringify(tokens.map((token) => ({ token, session: randomUUID() })));
  await connection.execute(
    `with rows as (select * from json_to_recordset(?::json) as r(token text, session text)),
       sessions as (insert into auth_session (uuid, tenant_uuid, mobile) select session, ?, false from rows)
     insert into auth_token (uuid, session_uuid, auth_id, issued_t, expire_t)
     select token, session, 'someone', 0, ? from rows`,
    [rows, tenant, expireT],
  );
  return { tenant, tokens };
}

const later = () => Math.trunc(Date.now() / 1000) + 3600;

t.test('every deletion of tokens is announced by its transaction, and only when it commits', async (t) => {
  const orm = await migratedDatabase(t);
  const notices = await listen(orm, t);
  const repository = new TokenRepository(orm, new Outbox(orm, { toBroker: false, originUuid: randomUUID() }));
  const connection = orm.em.getConnection();

  await t.test('a logout (TokenRepository.delete)', async (t) => {
    const { tokens } = await seed(orm, 2, later());
    t.ok(await repository.delete(tokens[0]!));
    t.same(await notices.until(1), [tokens[0]]);
    notices.clear();
  });

  await t.test('the cleanup purge of expired tokens', async (t) => {
    const { tokens } = await seed(orm, 3, 1000);
    t.equal((await repository.deleteExpired(Date.now() / 1000, 100)).length, 3);
    t.same((await notices.until(3)).sort(), [...tokens].sort());
    notices.clear();
  });

  await t.test('a tenant deleted: the cascade, in payloads under the size limit', async (t) => {
    const { tenant, tokens } = await seed(orm, 400, later());
    await connection.execute('delete from auth_tenant where uuid = ?', [tenant]);
    t.same((await notices.until(400)).sort(), [...tokens].sort(), 'every token of the tenant');
    t.equal(notices.payloads.length, 3, 'in chunks of 150');
    t.ok(
      notices.payloads.every((payload) => Buffer.byteLength(payload) < 8000),
      'each under 8000 bytes',
    );
    notices.clear();
  });

  await t.test('a deletion rolled back announces nothing', async (t) => {
    const { tokens } = await seed(orm, 1, later());
    await t.rejects(
      orm.em.fork().transactional(async (em) => {
        await em.execute('delete from auth_token where uuid = ?', [tokens[0]]);
        throw new Error('changed my mind');
      }),
    );
    await new Promise((resolve) => setTimeout(resolve, 300));
    t.same(notices.heard(), []);
    t.same([...(await repository.stillLive(tokens))], tokens, 'the token is still there');
  });

  await t.test('installed once: migrating again leaves it as it is', async (t) => {
    const version = () =>
      connection.execute<{ xmin: string }[]>(
        "select xmin::text as xmin from pg_proc where proname = 'wazo_auth_tokens_revoked'",
      );
    const before = await version();
    t.same(await applyMigrations(orm, 'postgresql'), []);
    t.same(await version(), before);
  });
});

t.test('re-validation: which held tokens still exist unexpired, in one query', async (t) => {
  const orm = await migratedDatabase(t);
  const repository = new TokenRepository(orm, new Outbox(orm, { toBroker: false, originUuid: randomUUID() }));
  const live = await seed(orm, 3, later());
  const expired = await seed(orm, 1, 1000);
  await repository.delete(live.tokens[2]!);
  const asked = [...live.tokens, ...expired.tokens, randomUUID()];
  t.same([...(await repository.stillLive(asked))].sort(), live.tokens.slice(0, 2).sort());
  t.same([...(await repository.stillLive([]))], []);

  // More uuids than a statement may have bound parameters (65535), the live ones among them.
  const many = [...live.tokens, ...Array.from({ length: 70_000 }, () => randomUUID())];
  const began = performance.now();
  const found = await repository.stillLive(many);
  const ms = Math.round(performance.now() - began);
  t.same([...found].sort(), live.tokens.slice(0, 2).sort(), `70000 uuids looked up in one query (${ms} ms)`);
});
