import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { LOG_DIR_VARIABLE } from '../helpers/leak-watch.js';

/*
 * Issue #12: no token, password, refresh token or other secret that the tests of this run sent or
 * received appears in any log line of the servers they ran (in-process, at debug level, and as child
 * processes). `npm test` runs this file last; the helpers collected the logs and the secrets.
 */
const dir = process.env[LOG_DIR_VARIABLE];
const files = dir ? readdirSync(dir) : [];
const logFiles = files.filter((name) => name.endsWith('.log'));
const secretFiles = files.filter((name) => name.endsWith('.jsonl'));

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;

const skip =
  !dir || logFiles.length === 0 || secretFiles.length === 0
    ? `no logs or no secrets collected (${LOG_DIR_VARIABLE} unset, or the tests that ran used none): run npm test`
    : false;

t.test('no secret used by the tests of this run appears in the servers logs', { skip }, (t) => {
  if (!dir) return t.end();
  const secrets = new Set<string>();
  for (const name of secretFiles)
    for (const line of readFileSync(join(dir, name), 'utf8').split('\n'))
      if (line) secrets.add(JSON.parse(line) as string);
  const uuids = new Set(
    [...secrets].filter((secret) => /^[0-9a-f-]{36}$/i.test(secret)).map((s) => s.toLowerCase()),
  );
  const others = [...secrets].filter((secret) => !uuids.has(secret.toLowerCase()));

  let bytes = 0;
  let lines = 0;
  const leaks: string[] = [];
  for (const name of logFiles) {
    const text = readFileSync(join(dir, name), 'utf8');
    bytes += text.length;
    for (const line of text.split('\n')) {
      if (!line) continue;
      lines++;
      // Tokens and refresh tokens are UUIDs: every UUID of the line is looked up at once.
      const token = [...line.matchAll(UUID)].find(([found]) => uuids.has(found.toLowerCase()));
      if (token) {
        leaks.push(`${name}: token ${token[0]} in ${line.slice(0, 400)}`);
        continue;
      }
      const secret = others.find((candidate) => line.includes(candidate));
      if (secret !== undefined) leaks.push(`${name}: ${JSON.stringify(secret)} in ${line.slice(0, 400)}`);
    }
  }
  t.comment(
    `${secrets.size} secrets (${uuids.size} tokens) looked for in ${lines} log lines (${(bytes / 1e6).toFixed(1)} MB) of ${logFiles.length} test processes`,
  );
  for (const leak of leaks.slice(0, 30)) t.comment(leak);
  t.equal(leaks.length, 0, 'no secret in any log line');
  t.end();
});
