import t from 'tap';
import { keyedActors } from '../../src/actors/keyed.js';
import { startActorSystem } from '../../src/actors/system.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

t.test('one key, one mailbox: messages of a key never interleave', async (t) => {
  const system = startActorSystem('keyed-test-1');
  const log: string[] = [];
  const actors = keyedActors<number, number>(system, {
    kind: 'k',
    async handle(key, message) {
      log.push(`${key}:start:${message}`);
      await sleep(20 - message * 5);
      log.push(`${key}:end:${message}`);
      return message * 2;
    },
  });
  t.teardown(() => {
    actors.stop();
    system.stop();
  });
  const replies = await Promise.all([actors.ask('a', 1), actors.ask('a', 2), actors.ask('a', 3)]);
  t.same(replies, [2, 4, 6]);
  t.same(log, ['a:start:1', 'a:end:1', 'a:start:2', 'a:end:2', 'a:start:3', 'a:end:3']);
});

t.test('different keys run side by side; errors reach the caller', async (t) => {
  const system = startActorSystem('keyed-test-2');
  let concurrent = 0;
  let peak = 0;
  const actors = keyedActors<string, string>(system, {
    kind: 'k',
    async handle(key, message) {
      concurrent++;
      peak = Math.max(peak, concurrent);
      await sleep(20);
      concurrent--;
      if (message === 'fail') throw new RangeError(`refused for ${key}`);
      return `${key}:${message}`;
    },
  });
  t.teardown(() => {
    actors.stop();
    system.stop();
  });
  const replies = await Promise.all(['a', 'b', 'c'].map((key) => actors.ask(key, 'go')));
  t.same(replies, ['a:go', 'b:go', 'c:go']);
  t.equal(peak, 3);
  await t.rejects(actors.ask('a', 'fail'), new RangeError('refused for a'));
  t.equal(await actors.ask('a', 'after'), 'a:after', 'the actor survives its error');
});

t.test('idle actors are passivated and respawned on demand', async (t) => {
  const system = startActorSystem('keyed-test-3');
  const actors = keyedActors<string, string>(system, {
    kind: 'k',
    idleMs: 200,
    handle: async (key, message) => `${key}:${message}`,
  });
  t.teardown(() => {
    actors.stop();
    system.stop();
  });
  await actors.ask('a', 'x');
  await actors.ask('b', 'x');
  t.equal(actors.size(), 2);
  await sleep(1300);
  t.equal(actors.size(), 0, 'both stopped after being idle');
  t.equal(await actors.ask('a', 'y'), 'a:y');
  t.equal(actors.size(), 1);
});
