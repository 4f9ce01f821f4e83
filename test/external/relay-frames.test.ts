// What a wazo-oauth2 relay frame means (external-auth.md §7): the real relay sends `{"code": …}` alone, on
// the socket opened for one state. The full round trip through a relay is in oauth2.test.ts.
import t from 'tap';
import { relayedCallback } from '../../src/external-auth/oauth2/account-link.js';

const SOCKET_STATE = 'state-of-the-socket-0123456789';

t.test('a frame with the code alone is the callback of the socket’s state', async (t) => {
  const callback = relayedCallback(new URLSearchParams({ code: 'abc' }), SOCKET_STATE);
  t.same(Object.fromEntries(callback), { code: 'abc', state: SOCKET_STATE });
});

t.test('a frame forwarding the whole query, with the same state, is taken as it is', async (t) => {
  const frame = new URLSearchParams({ code: 'abc', state: SOCKET_STATE, iss: 'https://issuer.example' });
  t.same(Object.fromEntries(relayedCallback(frame, SOCKET_STATE)), Object.fromEntries(frame));
});

t.test('a frame naming another state redeems nothing: the state is dropped', async (t) => {
  const callback = relayedCallback(new URLSearchParams({ code: 'abc', state: 'another' }), SOCKET_STATE);
  t.equal(callback.get('state'), null, 'no flow can be found without a state');
  t.equal(callback.get('code'), 'abc');
});

t.test('an error from the provider keeps its parameters', async (t) => {
  const callback = relayedCallback(new URLSearchParams({ error: 'access_denied' }), SOCKET_STATE);
  t.same(Object.fromEntries(callback), { error: 'access_denied', state: SOCKET_STATE });
});
