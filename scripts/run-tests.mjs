#!/usr/bin/env node
// `npm test`: makes sure the services are there, runs every tap test file, and closes with the one line
// CI reads, `N passed, M failed`. tap's own summary is not a format CI understands, and tap would fail a
// green run on coverage below 100%, which is a report here, not a gate.
//
// Files named `*.serial.test.ts` disturb shared services (they stop the broker, for instance): they run
// after all the others, one at a time. Files named `*.last.test.ts` judge the run itself (the secrets
// its servers must not have logged, collected in WAZO_AUTH_TEST_LOG_DIR): they run at the very end.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;

const services = spawnSync('bash', [join(root, 'scripts/services.sh')], { stdio: 'inherit' });
if (services.status !== 0) {
  console.error('scripts/services.sh failed: PostgreSQL and RabbitMQ are needed by the tests');
  console.log('0 passed, 1 failed');
  process.exit(1);
}

function testFiles(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return testFiles(path);
    return entry.name.endsWith('.test.ts') ? [path] : [];
  });
}

const files = testFiles(join(root, 'test'))
  .map((file) => file.slice(root.length))
  .sort();
const filter = process.argv.slice(2);
const selected = filter.length ? files.filter((file) => filter.some((part) => file.includes(part))) : files;
const serial = (file) => file.endsWith('.serial.test.ts');
const last = (file) => file.endsWith('.last.test.ts');
const logDir = mkdtempSync(join(tmpdir(), 'wazo-auth-test-logs-'));

/** Runs tap on `group`; resolves with its counts (a run that dies without a summary counts one failure). */
function runTap(group, extraArgs) {
  if (group.length === 0) return Promise.resolve({ pass: 0, fail: 0, skip: 0 });
  const tap = spawn(
    join(root, 'node_modules/.bin/tap'),
    ['--disable-coverage', '--reporter=tap', '--timeout=180', ...extraArgs, ...group],
    {
      cwd: root,
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, WAZO_AUTH_TEST_LOG_DIR: logDir },
    },
  );
  let tail = '';
  tap.stdout.on('data', (chunk) => {
    process.stdout.write(chunk);
    tail = (tail + chunk.toString()).slice(-4096);
  });
  return new Promise((resolve) => {
    tap.on('close', (code) => {
      // tap closes with e.g. `# { total: 12, pass: 11, fail: 1, skip: 2 }`.
      const summary = [...tail.matchAll(/^# \{ ([^}]*) \}$/gm)].pop()?.[1] ?? '';
      const count = (name) => Number(new RegExp(`\\b${name}: (\\d+)`).exec(summary)?.[1] ?? 0);
      const fail = count('fail') + (summary === '' || (code !== 0 && count('fail') === 0) ? 1 : 0);
      resolve({ pass: count('pass'), fail, skip: count('skip') + count('todo') });
    });
  });
}

const runs = [
  await runTap(
    selected.filter((file) => !serial(file) && !last(file)),
    [],
  ),
  await runTap(selected.filter(serial), ['--jobs=1']),
  // The judges of the run judge whatever ran, whichever files were chosen.
  await runTap(files.filter(last), ['--jobs=1']),
];
// Kept when a judge failed, to look into; otherwise the logs of a run are of no further use.
if (runs[2].fail > 0) console.log(`# the run's server logs and secrets are kept in ${logDir}`);
else rmSync(logDir, { recursive: true, force: true });
const total = (key) => runs.reduce((sum, run) => sum + run[key], 0);
const skipped = total('skip');
console.log(`${total('pass')} passed, ${total('fail')} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(total('fail') === 0 && selected.length > 0 ? 0 : 1);
