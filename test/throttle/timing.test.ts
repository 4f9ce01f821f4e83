import t from 'tap';
import { DEFAULT_THROTTLE } from '../../src/throttle/index.js';
import { basic, JSON_HEADERS, startTestApp } from '../helpers/app.js';
import { createUser } from '../helpers/fixtures.js';
import { throttledTokenRoutes } from './support.js';

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length / 2;
  return (sorted[Math.floor(middle - 0.5)]! + sorted[Math.ceil(middle - 0.5)]!) / 2;
};

t.test('a failed login takes as long whether the login exists or not', async (t) => {
  const server = await startTestApp(t);
  await createUser(server.orm, { username: 'native', password: 'secret-1' });
  await createUser(server.orm, { username: 'imported', password: 'secret-2', upstreamHash: true });
  await createUser(server.orm, { username: 'passwordless' });
  const { call } = await throttledTokenRoutes(t, server, { ...DEFAULT_THROTTLE, enabled: false });
  const attempt = async (login: string) => {
    const started = performance.now();
    const res = await call({
      method: 'POST',
      path: '/0.1/token',
      headers: { ...JSON_HEADERS, Authorization: basic(login, 'not-the-password') },
      body: '{}',
    });
    const elapsed = performance.now() - started;
    if (res.status !== 401) throw new Error(`${login}: ${res.status}`);
    return elapsed;
  };
  const groups = {
    unknown: (i: number) => `nobody-${i}`,
    argon2: () => 'native',
    pbkdf2: () => 'imported',
    passwordless: () => 'passwordless',
  };
  // Warm-up: the dummy hashes are built and timed at the first verification.
  for (const name of Object.values(groups)) await attempt(name(-1));
  const times: Record<keyof typeof groups, number[]> = {
    unknown: [],
    argon2: [],
    pbkdf2: [],
    passwordless: [],
  };
  // Interleaved, so that a slow phase of the machine weighs on every group alike.
  for (let i = 0; i < 20; i++) {
    for (const [group, name] of Object.entries(groups)) {
      times[group as keyof typeof groups].push(await attempt(name(i)));
    }
  }
  const medians = Object.fromEntries(Object.entries(times).map(([group, list]) => [group, median(list)]));
  t.comment(
    `median ms: ${Object.entries(medians)
      .map(([group, ms]) => `${group} ${ms.toFixed(1)}`)
      .join(', ')}`,
  );
  for (const group of ['argon2', 'pbkdf2', 'passwordless'] as const) {
    const ratio = medians[group]! / medians.unknown!;
    t.ok(ratio > 1 / 1.2 && ratio < 1.2, `${group} / unknown = ${ratio.toFixed(3)}, within 20 %`);
  }
});
