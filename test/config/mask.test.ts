// What GET /config may show of the configuration: secrets masked wherever they are.
import t from 'tap';
import { MASKED, maskSecrets, maskUriPassword } from '../../src/config/index.js';

t.test('URIs keep everything but their password', async (t) => {
  t.equal(
    maskUriPassword('postgresql://asterisk:proformatique@localhost/asterisk'),
    `postgresql://asterisk:${MASKED}@localhost/asterisk`,
  );
  t.equal(
    maskUriPassword('amqp://guest:g:u@e@st@host:5672/'),
    `amqp://guest:${MASKED}@host:5672/`,
    'a password holding @: masked up to the last @',
  );
  t.equal(maskUriPassword('postgresql://user@localhost/db'), 'postgresql://user@localhost/db', 'no password');
  t.equal(maskUriPassword('sqlite:./data/wazo-auth.db'), 'sqlite:./data/wazo-auth.db');
  t.equal(maskUriPassword('https://oauth.example.com/token'), 'https://oauth.example.com/token');
});

t.test('values under secret keys, at any depth and in lists', async (t) => {
  const masked = maskSecrets({
    db_uri: 'postgresql://u:pw@h/db',
    smtp: { hostname: 'localhost', password: 'pw', username: 'me' },
    bootstrap_user_password: 'pw',
    google: { client_secret: 'cs', client_id: 'id' },
    empty_password: '',
    nested: [{ passphrase: 'x' }, 'amqp://a:b@c'],
    count: 3,
    flag: true,
    nothing: null,
  });
  t.strictSame(masked, {
    db_uri: `postgresql://u:${MASKED}@h/db`,
    smtp: { hostname: 'localhost', password: MASKED, username: 'me' },
    bootstrap_user_password: MASKED,
    google: { client_secret: MASKED, client_id: 'id' },
    empty_password: '',
    nested: [{ passphrase: MASKED }, `amqp://a:${MASKED}@c`],
    count: 3,
    flag: true,
    nothing: null,
  });
});
