import t from 'tap';
import { ThrottleCounters } from '../../src/throttle/counters.js';
import { DEFAULT_THROTTLE } from '../../src/throttle/index.js';

const small = () =>
  new ThrottleCounters(
    { failures: 3, windowSeconds: 60, backoffSeconds: 2, maxBackoffSeconds: 10 },
    { failures: 5, windowSeconds: 10 },
    1000,
  );

/** One verified attempt ending with `outcome`; the admission when refused. */
function attempt(
  counters: ThrottleCounters,
  kind: 'username' | 'address',
  key: string,
  now: number,
  outcome: 'failure' | 'success' | 'neutral' = 'failure',
) {
  const admission = counters.acquire(kind, key, now);
  if (admission.ok) counters.settle(kind, key, outcome, now);
  return admission;
}

t.test('username: refused after the allowed failures, with a doubling block', async (t) => {
  const c = small();
  for (let i = 0; i < 3; i++) t.ok(attempt(c, 'username', 'bob', 1000).ok, `failure ${i + 1} verified`);
  t.same(c.acquire('username', 'bob', 1000), { ok: false, retryAfterMs: 2000 }, 'blocked 2 s after the 3rd');
  t.same(c.acquire('username', 'bob', 2999), { ok: false, retryAfterMs: 1 });
  t.ok(attempt(c, 'username', 'bob', 3000).ok, 'one attempt once the block is over');
  t.same(c.acquire('username', 'bob', 3000), { ok: false, retryAfterMs: 4000 }, 'then 4 s');
  t.ok(attempt(c, 'username', 'bob', 7000).ok);
  t.same(c.acquire('username', 'bob', 7000), { ok: false, retryAfterMs: 8000 }, 'then 8 s');
  t.ok(attempt(c, 'username', 'bob', 15_000).ok);
  t.same(c.acquire('username', 'bob', 15_000), { ok: false, retryAfterMs: 10_000 }, 'capped');
  t.ok(c.acquire('username', 'alice', 15_000).ok, 'other usernames are not affected');
});

t.test('username: a success resets the count; quiet time forgets it', async (t) => {
  const c = small();
  attempt(c, 'username', 'bob', 0);
  attempt(c, 'username', 'bob', 0);
  attempt(c, 'username', 'bob', 0, 'success');
  attempt(c, 'username', 'bob', 0);
  attempt(c, 'username', 'bob', 0);
  t.ok(c.acquire('username', 'bob', 0).ok, 'two failures since the success: still verified');
  c.settle('username', 'bob', 'failure', 0);
  t.notOk(c.acquire('username', 'bob', 0).ok, 'the third since the success blocks');
  t.ok(c.acquire('username', 'bob', 2000 + 60_000).ok, 'forgotten a window after the block ended');
  c.settle('username', 'bob', 'failure', 62_000);
  t.ok(attempt(c, 'username', 'bob', 62_000).ok, 'counting from zero again');
});

t.test('username: concurrent attempts cannot overshoot the threshold', async (t) => {
  const c = small();
  const admitted = Array.from({ length: 20 }, () => c.acquire('username', 'bob', 0)).filter((a) => a.ok);
  t.equal(admitted.length, 3, 'only as many in flight as failures remain');
  for (let i = 0; i < 3; i++) c.settle('username', 'bob', 'failure', 0);
  t.same(c.acquire('username', 'bob', 0), { ok: false, retryAfterMs: 2000 });
  t.test('neutral outcomes give the slot back', async (t) => {
    const c = small();
    for (let i = 0; i < 3; i++) t.ok(c.acquire('username', 'x', 0).ok);
    t.notOk(c.acquire('username', 'x', 0).ok);
    c.settle('username', 'x', 'neutral', 0);
    t.ok(c.acquire('username', 'x', 0).ok);
  });
  t.test('a reservation never settled (its worker died) expires', async (t) => {
    const c = small();
    for (let i = 0; i < 3; i++) c.acquire('username', 'y', 0);
    t.notOk(c.acquire('username', 'y', 1000).ok);
    t.ok(c.acquire('username', 'y', 61_001).ok);
  });
});

t.test('address: a leaky bucket; successes do not drain it', async (t) => {
  const c = small();
  for (let i = 0; i < 5; i++) t.ok(attempt(c, 'address', '10.0.0.1', 0).ok);
  const refused = c.acquire('address', '10.0.0.1', 0);
  t.same(refused, { ok: false, retryAfterMs: 2000 }, 'one failure drains every 2 s');
  t.ok(c.acquire('address', '10.0.0.2', 0).ok, 'other addresses are not affected');
  t.ok(attempt(c, 'address', '10.0.0.1', 2000, 'success').ok);
  t.ok(attempt(c, 'address', '10.0.0.1', 2000).ok, 'the one drained slot is still there');
  t.notOk(c.acquire('address', '10.0.0.1', 2000).ok, 'full again: the success drained nothing');
  t.ok(c.acquire('address', '10.0.0.1', 10_000).ok);
});

t.test('defaults: a few dozen failures a minute from one address pass, for a long time', async (t) => {
  const { username, address, maxEntries } = DEFAULT_THROTTLE;
  const c = new ThrottleCounters(username, address, maxEntries);
  // 40 failures a minute, each of another username, for 10 minutes.
  for (let i = 0; i < 400; i++) {
    const now = i * 1500;
    t.ok(c.acquire('username', `user-${i}`, now).ok);
    const admission = attempt(c, 'address', '192.0.2.7', now);
    if (!admission.ok) t.fail(`failure ${i} refused`);
    c.settle('username', `user-${i}`, 'failure', now);
  }
  t.test('a fast scan is stopped after the bucket is full', async (t) => {
    let refusedAt = -1;
    for (let i = 0; i < 200 && refusedAt < 0; i++)
      if (!attempt(c, 'address', '198.51.100.9', 0).ok) refusedAt = i;
    t.equal(refusedAt, 100);
  });
  t.test('a username is refused before its 20th consecutive failure', async (t) => {
    let failures = 0;
    for (let i = 0; i < 30; i++) if (attempt(c, 'username', 'target', 1_000_000).ok) failures++;
    t.equal(failures, 10);
  });
});

t.test('memory is bounded: the least recently seen keys go first', async (t) => {
  const c = new ThrottleCounters(
    { failures: 3, windowSeconds: 60, backoffSeconds: 2, maxBackoffSeconds: 10 },
    { failures: 5, windowSeconds: 10 },
    100,
  );
  attempt(c, 'username', 'victim', 0);
  attempt(c, 'username', 'victim', 0);
  for (let i = 0; i < 10_000; i++) {
    attempt(c, 'username', `spray-${i}`, i);
    attempt(c, 'address', `2001:db8::${i.toString(16)}`, i);
    if (i % 50 === 0) attempt(c, 'username', 'victim', i, 'neutral');
  }
  t.ok(c.size.usernames <= 100, `usernames held: ${c.size.usernames}`);
  t.ok(c.size.addresses <= 100, `addresses held: ${c.size.addresses}`);
  attempt(c, 'username', 'victim', 10_000);
  t.notOk(c.acquire('username', 'victim', 10_000).ok, 'an active key survives a flood of new ones');
});
