import { appendFileSync, createWriteStream, type WriteStream } from 'node:fs';
import { join } from 'node:path';

/*
 * Issue #12: the logs of a whole test run must not hold any secret the tests used. `npm test` names a
 * folder in WAZO_AUTH_TEST_LOG_DIR; every server log line (in-process or child process) is copied
 * there, and so is every secret the test clients sent or received. `secrets-in-logs.last.test.ts`
 * then looks for each secret in each log. Without the variable (a file run alone) nothing is written.
 */
export const LOG_DIR_VARIABLE = 'WAZO_AUTH_TEST_LOG_DIR';
const dir = process.env[LOG_DIR_VARIABLE];

let logStream: WriteStream | undefined;
const seen = new Set<string>();

/** Copies server log output to this test process's log file of the run. */
export function recordLog(text: string): void {
  if (!dir || text.length === 0) return;
  logStream ??= createWriteStream(join(dir, `logs-${process.pid}.log`), { flags: 'a' });
  logStream.write(text.endsWith('\n') ? text : `${text}\n`);
}

/** Names under which a password travels: a wrong one is still somebody's secret. */
const PASSWORD_KEYS = new Set(['password', 'old_password', 'new_password', 'bind_password', 'client_secret']);
/** Names under which a token travels: a secret only once the server knew it (it issued or accepted it). */
const TOKEN_KEYS = new Set(['token', 'refresh_token', 'access_token', 'saml_session_id']);

/**
 * Shorter strings are the tests' throw-away passwords (`pw`, `secret`, a user's own name), which occur in
 * logs as ordinary words; a string of one repeated character is filler, not a secret.
 */
const MIN_LENGTH = 8;

function remember(value: unknown): void {
  if (!dir || typeof value !== 'string' || value.length < MIN_LENGTH || seen.has(value)) return;
  if (/^(.)\1*$/s.test(value)) return;
  seen.add(value);
  // One file per test process, a JSON string per line (secrets may hold any character).
  appendFileSync(join(dir, `secrets-${process.pid}.jsonl`), `${JSON.stringify(value)}\n`);
}

function rememberIn(value: unknown, known: boolean, depth = 0): void {
  if (depth > 8 || value === null || typeof value !== 'object') return;
  for (const [key, inner] of Object.entries(value)) {
    if (PASSWORD_KEYS.has(key) || (known && TOKEN_KEYS.has(key))) remember(inner);
    rememberIn(inner, known, depth + 1);
  }
}

function rememberJson(text: string | Buffer | undefined, known: boolean): void {
  if (text === undefined || text.length === 0) return;
  try {
    rememberIn(JSON.parse(text.toString()), known);
  } catch {
    // Not JSON (a form, a broken body sent on purpose): nothing to pick out.
  }
}

/**
 * Picks the secrets out of one exchange of a test client: passwords it sent, tokens it received, and
 * tokens it sent that the server knew (a made-up token, or an id used as one in a negative test, is
 * answered 401/404 and is no secret).
 */
export function recordExchangeSecrets(
  method: string,
  path: string,
  headers: Record<string, string>,
  body: string | Buffer | undefined,
  status: number,
  answer: string,
): void {
  if (!dir) return;
  const known = status !== 401 && status !== 404;
  for (const [name, value] of Object.entries(headers)) {
    const lower = name.toLowerCase();
    if (lower === 'x-auth-token' && known) remember(value);
    if (lower === 'authorization' && /^basic /i.test(value)) {
      const encoded = value.slice(6).trim();
      remember(encoded);
      const decoded = Buffer.from(encoded, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon >= 0) remember(decoded.slice(colon + 1));
    }
  }
  if (known) {
    const url = new URL(path, 'http://x');
    for (const [key, value] of url.searchParams)
      if (PASSWORD_KEYS.has(key) || TOKEN_KEYS.has(key)) remember(value);
    // Only a check that found the token proves it real (revoking an unknown one is a 204 too).
    const token = /\/token\/([^/?]+)$/.exec(url.pathname)?.[1];
    const checked = (method === 'GET' || method === 'HEAD') && [200, 204, 403].includes(status);
    if (token && checked) remember(decodeURIComponent(token));
  }
  rememberJson(body, known);
  // What the server answers, it knows: the tokens it issued.
  rememberJson(answer, true);
}
