import t from 'tap';
import { clientAddress } from '../../src/http/request.js';

t.test('X-Forwarded-For is trusted for rest_api.num_proxies hops', async (t) => {
  t.equal(clientAddress('10.0.0.1', undefined, 1), '10.0.0.1', 'no header: the peer');
  t.equal(clientAddress('10.0.0.1', '203.0.113.7', 1), '203.0.113.7', 'one proxy: its client');
  t.equal(
    clientAddress('10.0.0.1', '198.51.100.1, 203.0.113.7', 1),
    '203.0.113.7',
    'a forged first hop is ignored',
  );
  t.equal(clientAddress('10.0.0.1', '198.51.100.1, 203.0.113.7', 2), '198.51.100.1', 'two proxies');
  t.equal(clientAddress('10.0.0.1', '203.0.113.7', 2), '10.0.0.1', 'fewer hops than proxies: the peer');
  t.equal(clientAddress('10.0.0.1', '203.0.113.7', 0), '10.0.0.1', 'no trusted proxy: the peer');
  t.equal(clientAddress('10.0.0.1', ' , ', 1), '10.0.0.1', 'an empty list: the peer');
});
