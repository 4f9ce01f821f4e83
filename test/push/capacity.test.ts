import t from 'tap';
import { startTestApp } from '../helpers/app.js';
import { createUser } from '../helpers/fixtures.js';
import { tokenFor } from '../helpers/tokens.js';
import { connect } from '../helpers/ws.js';

t.test(
  'past websocket.max_connections new connections are refused with 503, then accepted again',
  async (t) => {
    const server = await startTestApp(t, (config) => {
      config.websocket.max_connections = 2;
    });
    await createUser(server.orm, { username: 'alice', password: 'secret', acl: ['websocketd'] });
    const { token } = await tokenFor(server, 'alice', 'secret');
    const query = { token, version: '2' };
    const first = connect(t, server.base, { query });
    const second = connect(t, server.base, { query });
    await Promise.all([first.frame(0), second.frame(0)]);
    const third = connect(t, server.base, { query });
    t.equal(await third.status, 503, 'the third is refused at the upgrade');
    t.match(server.logs.lines.join('\n'), /connection limit reached/);
    first.close();
    await first.closed;
    const fourth = connect(t, server.base, { query });
    t.same(await fourth.frame(0), { op: 'init', code: 0, data: { version: 2 } }, 'room again once one left');
  },
);
