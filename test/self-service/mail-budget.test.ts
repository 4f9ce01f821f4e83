// The mail counters of `mail_throttle` (src/self-service/mail-budget.ts over src/throttle/budget.ts), on a
// clock of the test's own.
import t from 'tap';
import { MailBudget } from '../../src/self-service/mail-budget.js';
import { KeyedBudget } from '../../src/throttle/index.js';

const settings = { enabled: true, mails: 2, window_seconds: 60, max_entries: 1000 };

t.test('a key gets `events` at once, then one per window / events', async (t) => {
  const budget = new KeyedBudget({ events: 2, windowSeconds: 60 }, 10);
  t.ok(budget.take('k', 0).ok);
  t.ok(budget.take('k', 0).ok);
  const refused = budget.take('k', 0);
  t.notOk(refused.ok);
  t.equal(refused.ok ? 0 : Math.round(refused.retryAfterMs), 30_000, 'one event drains in 30 s');
  t.notOk(budget.take('k', 29_000).ok, 'refused takes count nothing');
  t.ok(budget.take('k', 30_000).ok);
  t.ok(budget.take('other', 0).ok, 'keys are independent');
  budget.giveBack('k', 30_000);
  t.ok(budget.take('k', 30_000).ok, 'a given back event frees its slot');
});

t.test('the number of keys kept is bounded', async (t) => {
  const budget = new KeyedBudget({ events: 1, windowSeconds: 60 }, 100);
  for (let i = 0; i < 10_000; i++) budget.take(`key-${i}`, i);
  t.ok(budget.size <= 100);
});

t.test('MailBudget: the user and the address, all or nothing', async (t) => {
  let now = 0;
  const budget = new MailBudget(settings, undefined, () => now);
  const sent: string[] = [];
  const send = (what: string) => async () => {
    sent.push(what);
    return what;
  };
  t.same(await budget.spend({ user: 'u1', address: 'A@example.com' }, send('1')), { sent: true, value: '1' });
  t.same(await budget.spend({ user: 'u2', address: 'a@EXAMPLE.com' }, send('2')), { sent: true, value: '2' });
  const third = await budget.spend({ user: 'u3', address: 'a@example.com' }, send('3'));
  t.match(third, { sent: false, retryAfterS: 30 }, 'the address is full, in any case');
  t.same(await budget.spend({ user: 'u3', address: 'b@example.com' }, send('4')), { sent: true, value: '4' });
  t.same(await budget.spend({ user: 'u3', address: 'c@example.com' }, send('5')), { sent: true, value: '5' });
  t.match(await budget.spend({ user: 'u3', address: 'd@example.com' }, send('6')), { sent: false });
  t.same(
    await budget.spend({ user: null, address: 'd@example.com' }, send('7')),
    { sent: true, value: '7' },
    'the refused spend took nothing from d@example.com',
  );
  t.same(sent, ['1', '2', '4', '5', '7']);

  await t.rejects(
    budget.spend({ user: 'u4', address: 'e@example.com' }, async () => {
      throw new Error('relay down');
    }),
  );
  await budget.spend({ user: 'u4', address: 'e@example.com' }, send('8'));
  await budget.spend({ user: 'u4', address: 'e@example.com' }, send('9'));
  t.same(sent.slice(-2), ['8', '9'], 'the mail that did not leave was not counted');
  now = 30_000;
  t.match(await budget.spend({ user: 'u4', address: 'e@example.com' }, send('10')), { sent: true });
});

t.test('disabled: everything goes', async (t) => {
  const budget = new MailBudget({ ...settings, enabled: false });
  for (let i = 0; i < 10; i++) {
    t.match(await budget.spend({ user: 'u', address: 'a@example.com' }, async () => i), { sent: true });
  }
});
