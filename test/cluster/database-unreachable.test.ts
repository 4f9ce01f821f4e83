import pg from 'pg';
import t from 'tap';
import { fromWire, toWire } from '../../src/cluster/peer.js';
import { isDatabaseUnreachable } from '../../src/db/unreachable.js';
import { openDatabase } from '../../src/entities/orm.js';
import { errors } from '../../src/http/errors.js';
import { freePort } from '../../src/net/free-port.js';
import { migratedDatabase } from '../helpers/db.js';

/** The rejection of `run`, which must reject. */
async function failure(run: () => Promise<unknown>): Promise<unknown> {
  try {
    await run();
  } catch (error) {
    return error;
  }
  throw new Error('expected a failure');
}

t.test('the errors of a database that cannot be reached, as the drivers really raise them', async (t) => {
  const closed = `postgresql://postgres@127.0.0.1:${await freePort()}/nothing`;

  const refused = await failure(async () => {
    const client = new pg.Client({ connectionString: closed });
    await client.connect();
  });
  t.ok(isDatabaseUnreachable(refused), 'a refused connection');
  t.ok(isDatabaseUnreachable(await failure(() => openDatabase(closed))), 'wrapped, as its cause');

  const orm = await migratedDatabase(t);
  const uri = orm.config.get('clientUrl')!;
  const victim = new pg.Client({ connectionString: uri });
  victim.on('error', () => {});
  await victim.connect();
  const { rows } = await victim.query<{ pid: number }>('select pg_backend_pid() as pid');
  await orm.em.getConnection().execute('select pg_terminate_backend(?)', [rows[0]!.pid]);
  const terminated = await failure(() => victim.query('select 1'));
  t.ok(isDatabaseUnreachable(terminated), `a connection the server ended (${(terminated as Error).message})`);
  await victim.end().catch(() => {});

  t.ok(isDatabaseUnreachable(fromWire(toWire(refused))), 'relayed from another worker');
});

t.test('errors that are not about reaching the database', async (t) => {
  const orm = await migratedDatabase(t);
  const connection = orm.em.getConnection();
  await connection.execute('create table unique_probe (id int primary key)');
  await connection.execute('insert into unique_probe values (1)');
  const conflict = await failure(() => connection.execute('insert into unique_probe values (1)'));
  t.notOk(isDatabaseUnreachable(conflict), 'a unique violation');
  t.notOk(
    isDatabaseUnreachable(await failure(() => connection.execute('select nonsense('))),
    'a syntax error',
  );
  t.notOk(isDatabaseUnreachable(new Error('boom')), 'a bug');
  t.notOk(isDatabaseUnreachable(errors.noSuchToken()), 'an API error');
  t.notOk(isDatabaseUnreachable(fromWire(toWire(new Error('boom')))), 'a bug on another worker');
  t.notOk(isDatabaseUnreachable(null), 'nothing');
});
