import { type Config, maskSecrets } from '../config/index.js';
import type { Json } from '../http/errors.js';
import type { Logger } from '../log/logger.js';
import type { ConfigPatchOperation } from './patch.js';

type JsonObject = { [key: string]: Json };

/** Python's numeric logging levels: `GET /config` shows `log_level` as upstream's `logging` module has it. */
export const PYTHON_LOG_LEVELS: Readonly<Record<Config['log_level'], number>> = {
  debug: 10,
  info: 20,
  warning: 30,
  error: 40,
  critical: 50,
};

/** Upstream's level names mapped onto pino's (as src/log/logger.ts maps them at start-up). */
const PINO_LEVELS: Readonly<Record<Config['log_level'], string>> = {
  debug: 'debug',
  info: 'info',
  warning: 'warn',
  error: 'error',
  critical: 'fatal',
};

export interface ConfigFacts {
  /** The platform UUID (`uuid`), resolved at start-up when the configuration does not set it. */
  uuid: string;
  /** The backends loaded (`loaded_plugins`, the list `GET /backends` answers). */
  loadedPlugins: readonly string[];
}

/**
 * The effective configuration as `GET /config` shows it, and the run-time switches `PATCH /config`
 * changes (`debug`, `profiling_enabled`), in memory only: a restart reads the files again.
 *
 * The configuration holds secrets (`db_uri`, `amqp.uri`, passwords): upstream shows them to any master
 * tenant token; here they are masked (`maskSecrets`). Nothing in this module logs the configuration or a
 * patch, only the switches' new values.
 */
export class ConfigService {
  private readonly snapshot: JsonObject;
  private debug: boolean;
  private profilingEnabled: boolean;

  constructor(
    private readonly config: Config,
    private readonly logger: Logger,
    facts: ConfigFacts,
  ) {
    // A deep copy of plain data: later changes to the live object (there are none) cannot leak in.
    const copy = maskSecrets(JSON.parse(JSON.stringify(config))) as JsonObject;
    copy.log_level = PYTHON_LOG_LEVELS[config.log_level];
    copy.uuid = facts.uuid;
    copy.loaded_plugins = [...facts.loadedPlugins];
    this.snapshot = copy;
    this.debug = config.debug;
    this.profilingEnabled = config.profiling_enabled;
  }

  /** The whole configuration, with the switches' current values. */
  get(): JsonObject {
    return { ...this.snapshot, debug: this.debug, profiling_enabled: this.profilingEnabled };
  }

  /** Applies validated operations in order (JSON Patch semantics: the last one on a path wins). */
  apply(operations: readonly ConfigPatchOperation[]): void {
    let debug = this.debug;
    let profilingEnabled = this.profilingEnabled;
    for (const { path, value } of operations) {
      if (path === '/debug') debug = value;
      else profilingEnabled = value;
    }
    // Upstream sets the root logger's level on every patch: debug, or back to the configured level.
    this.logger.level = debug ? 'debug' : PINO_LEVELS[this.config.log_level];
    if (debug !== this.debug) this.logger.info({ debug }, debug ? 'debug mode on' : 'debug mode off');
    if (profilingEnabled !== this.profilingEnabled)
      this.logger.info({ profilingEnabled }, 'profiling switched');
    this.debug = debug;
    this.profilingEnabled = profilingEnabled;
  }
}
