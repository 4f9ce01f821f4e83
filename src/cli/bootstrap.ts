import { randomInt } from 'node:crypto';
import { parseArgs } from 'node:util';
import { BootstrapError, createInitialUser } from '../bootstrap/index.js';
import { ConfigError, loadConfig } from '../config/index.js';
import { USER_PURPOSES, type UserPurpose } from '../entities/index.js';
import { openDatabase } from '../entities/orm.js';

const USAGE = `usage: npm run bootstrap -- <command> [options]

commands:
  initial-user   create the first administrator in the master tenant
  setup          nothing to do (kept for upstream compatibility)

initial-user options (environment variable in brackets):
  --username U       [WAZO_AUTH_BOOTSTRAP_USERNAME]    default: wazo-auth-cli
  --password P       [WAZO_AUTH_BOOTSTRAP_PASSWORD]    default: 28 random characters, printed once
  --purpose P        [WAZO_AUTH_BOOTSTRAP_PURPOSE]     user | internal | external_api (default: internal)
  --policy-slug S    [WAZO_AUTH_BOOTSTRAP_POLICY_SLUG] default: wazo_default_master_user_policy
  --uri URI          [WAZO_AUTH_BOOTSTRAP_URI]         database; default: db_uri of the server's configuration`;

const ALPHABET = '0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';

function randomPassword(length = 28): string {
  return Array.from({ length }, () => ALPHABET[randomInt(ALPHABET.length)]).join('');
}

function fail(message: string, code = 1): never {
  console.error(`wazo-auth bootstrap: ${message}`);
  process.exit(code);
}

async function initialUser(args: string[]): Promise<void> {
  const env = process.env;
  const { values } = parseArgs({
    args,
    options: {
      username: { type: 'string' },
      password: { type: 'string' },
      purpose: { type: 'string' },
      'policy-slug': { type: 'string' },
      uri: { type: 'string' },
    },
    strict: true,
  });
  const purpose = values.purpose ?? env.WAZO_AUTH_BOOTSTRAP_PURPOSE ?? 'internal';
  if (!(USER_PURPOSES as readonly string[]).includes(purpose)) {
    fail(`--purpose must be one of ${USER_PURPOSES.join(', ')}, got "${purpose}"`, 2);
  }
  const givenPassword = values.password ?? env.WAZO_AUTH_BOOTSTRAP_PASSWORD;
  const password = givenPassword || randomPassword();
  const username = values.username ?? env.WAZO_AUTH_BOOTSTRAP_USERNAME ?? 'wazo-auth-cli';
  const uri = values.uri ?? env.WAZO_AUTH_BOOTSTRAP_URI ?? loadConfig().config.db_uri;

  const orm = await openDatabase(uri);
  try {
    const result = await createInitialUser(orm, {
      username,
      password,
      purpose: purpose as UserPurpose,
      policySlug:
        values['policy-slug'] ?? env.WAZO_AUTH_BOOTSTRAP_POLICY_SLUG ?? 'wazo_default_master_user_policy',
    });
    if (result.outcome !== 'created') {
      const detail =
        result.outcome === 'unchanged' ? 'with this password; nothing was changed' : 'with another password';
      fail(`user "${username}" already exists (${result.uuid}) ${detail}`);
    }
    console.log(`created user "${username}" (${result.uuid})`);
    if (!givenPassword) console.log(`generated password: ${password}`);
  } finally {
    await orm.close();
  }
}

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'initial-user':
      return initialUser(rest);
    case 'setup':
      console.log(
        'setup is no longer needed: the database is migrated when the server or initial-user starts',
      );
      return;
    case '-h':
    case '--help':
    case 'help':
      console.log(USAGE);
      return;
    default:
      fail(command ? `unknown command "${command}"\n${USAGE}` : USAGE, 2);
  }
}

try {
  await main(process.argv.slice(2));
} catch (error) {
  if (error instanceof ConfigError || error instanceof BootstrapError) fail(error.message);
  if (error instanceof TypeError && 'code' in error && String(error.code).startsWith('ERR_PARSE_ARGS')) {
    fail(`${error.message}\n${USAGE}`, 2);
  }
  fail((error as Error).message);
}
