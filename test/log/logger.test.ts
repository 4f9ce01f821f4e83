import t from 'tap';
import { createLogger } from '../../src/log/logger.js';
import { LogSink } from '../helpers/server.js';

t.test('secrets do not reach the logs', async (t) => {
  const sink = new LogSink();
  const log = createLogger({ log_level: 'info', debug: false }, sink);
  const token = '5f0c2b8a-1d2e-4f5a-9b8c-7d6e5f4a3b21';
  const failed = Object.assign(
    new Error(`insert into "auth_token" ("uuid", "acl") values ('${token}', '["#"]') - duplicate key value`),
    { sql: `insert into "auth_token" ("uuid") values ('${token}')`, params: [token] },
  );
  log.error({ err: failed }, 'unhandled error');
  log.info(
    { password: 'hunter2', token, headers: { authorization: 'Basic abc', 'x-auth-token': token } },
    'x',
  );
  log.info({ req: { headers: { 'x-auth-token': token } } }, 'y');
  const text = sink.lines.join('\n');
  t.notMatch(text, token);
  t.notMatch(text, 'hunter2');
  t.notMatch(text, 'Basic abc');
  t.match(text, 'duplicate key value', 'the error itself is still told');
  t.match(text, `values ('…', '…')`);
  t.equal(sink.lines.length, 3);
});
