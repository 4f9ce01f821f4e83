import type { Config } from '../config/index.js';
import type { Logger } from '../log/logger.js';
import type { LoginAttempt, LoginMethod } from './method.js';

/** A priority a plugin does not state (idp.md §4). */
const DEFAULT_PRIORITY = 100;

/**
 * The login methods of this server (idp.md §2): the enabled plugins (`saml`, `ldap`, …) in ascending
 * `idp_plugins.<name>.priority`, then `native`. A plugin enabled in the configuration without an
 * implementation here is not loaded (and logged).
 */
export class LoginMethods {
  /** Plugins by priority. */
  private readonly plugins: LoginMethod[];
  /** Configuration name → plugin, for the assignable types. */
  private readonly loaded = new Map<string, LoginMethod>();

  constructor(
    config: Pick<Config, 'idp_plugins'>,
    implementations: Readonly<Record<string, LoginMethod>>,
    private readonly native: LoginMethod,
    private readonly log: Logger,
  ) {
    const enabled = Object.entries(config.idp_plugins)
      .filter(([, plugin]) => plugin.enabled === true)
      .sort(([, a], [, b]) => (a.priority ?? DEFAULT_PRIORITY) - (b.priority ?? DEFAULT_PRIORITY));
    for (const [name] of enabled) {
      const method = implementations[name];
      if (method) this.loaded.set(name, method);
      else log.warn({ plugin: name }, 'idp plugin enabled but not implemented: not loaded');
    }
    this.plugins = [...this.loaded.values()];
  }

  /** The method that handles the attempt: a plugin that claims it, else native with credentials. */
  choose(attempt: LoginAttempt): LoginMethod | null {
    for (const plugin of this.plugins) {
      try {
        if (plugin.canAuthenticate(attempt)) return plugin;
      } catch (error) {
        // A broken plugin must not lock everybody out: the next method gets its chance.
        this.log.error({ err: error, plugin: plugin.name }, 'idp plugin failed to examine a login');
      }
    }
    return this.native.canAuthenticate(attempt) ? this.native : null;
  }

  /** The method serving users whose effective method is `name` (refresh-token logins pick its backend). */
  serving(name: string): LoginMethod | null {
    if (name === this.native.name) return this.native;
    return this.plugins.find((plugin) => plugin.name === name) ?? null;
  }

  /** `GET /idp`: each loaded method's `authentication_method`, plus `native` and `default`. */
  listed(): string[] {
    return [this.native.name, 'default', ...new Set(this.plugins.map((plugin) => plugin.name))];
  }

  /** What a user or tenant may be assigned: the loaded plugins' configuration names, `native`, `default`. */
  assignable(): ReadonlySet<string> {
    return new Set([this.native.name, 'default', ...this.loaded.keys()]);
  }
}
