import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../config/index.js';
import { type Database, dialectOf, MIGRATIONS_TABLE, openDatabase } from '../entities/orm.js';
import {
  formatReport,
  ImportConflictError,
  importUpstream,
  redactUri,
  SourceError,
  TargetError,
  WriteError,
} from '../import/index.js';

const USAGE = `usage: npm run import -- --from postgresql://USER[:PASSWORD]@HOST[:PORT]/DATABASE [options]

Imports an upstream wazo-auth database into this server's database (db_uri of its configuration:
WAZO_AUTH_DB_URI, WAZO_AUTH_CONFIG…), in one transaction. Stop the server first and start it again
afterwards. Running it again only adds what is missing.

options:
  --from URI     the upstream wazo-auth PostgreSQL database (read only)
  --to URI       the target database instead of the configured db_uri
  --dry-run      report per table what would be imported, write nothing
  -h, --help     this text

exit status: 0 imported (or nothing to do), 1 conflicts or failure, 2 usage`;

function fail(message: string, code = 1): never {
  console.error(`wazo-auth import: ${message}`);
  process.exit(code);
}

/** A dry run must not write, not even the migrations an uninitialised target would get. */
async function openTarget(uri: string, dryRun: boolean): Promise<Database> {
  const orm = await openDatabase(uri, { migrate: !dryRun });
  if (dryRun) {
    try {
      await orm.em.getConnection().execute(`select count(*) as "n" from "${MIGRATIONS_TABLE}"`);
    } catch {
      await orm.close(true);
      throw new TargetError(
        'the target is not initialised: start the server once, or import without --dry-run',
      );
    }
  }
  return orm;
}

async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      from: { type: 'string' },
      to: { type: 'string' },
      'dry-run': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  if (!values.from) fail(`--from is required\n${USAGE}`, 2);
  if (dialectOf(values.from) !== 'postgresql') fail('--from must be a postgresql:// URI', 2);
  const dryRun = values['dry-run'] === true;
  const target = values.to ?? loadConfig().config.db_uri;
  console.log(
    `${dryRun ? 'dry run: ' : ''}importing ${redactUri(values.from)} into ${redactUri(target)}${dryRun ? ' (nothing will be written)' : ''}`,
  );
  const orm = await openTarget(target, dryRun);
  try {
    const result = await importUpstream({ from: values.from, orm, dryRun });
    console.log(formatReport(result, dryRun));
    if (result.schemaVersion) console.log(`\nupstream schema version (alembic): ${result.schemaVersion}`);
    console.log(
      dryRun
        ? '\ndry run: nothing was written'
        : '\nimported; start (or restart) the server: it reads the master tenant at start-up',
    );
  } catch (error) {
    if (error instanceof ImportConflictError) {
      console.log(formatReport(error.result, dryRun));
      console.error(`wazo-auth import: ${error.message}`);
      process.exitCode = 1;
      return;
    }
    throw error;
  } finally {
    await orm.close();
  }
}

try {
  await main(process.argv.slice(2));
} catch (error) {
  if (error instanceof TypeError && 'code' in error && String(error.code).startsWith('ERR_PARSE_ARGS')) {
    fail(`${error.message}\n${USAGE}`, 2);
  }
  if (
    error instanceof ConfigError ||
    error instanceof SourceError ||
    error instanceof TargetError ||
    error instanceof WriteError
  ) {
    fail(error.message);
  }
  // Anything else may be a driver error quoting a statement and its values: say only what it is.
  fail(
    `unexpected ${(error as Error).name ?? 'error'}: ${String((error as Error).message)
      .split(' - ')
      .pop()}`,
  );
}
