import type { Config } from '../config/index.js';

/**
 * The authentication backends this server implements. `ldap_user` joins when the LDAP backend lands
 * (issue #9); until then it is not reported as loaded even though upstream's default config enables it,
 * because a client reading `/backends` must be able to rely on what it lists.
 */
export const IMPLEMENTED_BACKENDS = ['wazo_user'] as const;

/** Backends both implemented and enabled by `enabled_backend_plugins`, in implementation order. */
export function loadedBackends(config: Pick<Config, 'enabled_backend_plugins'>): string[] {
  return IMPLEMENTED_BACKENDS.filter((name) => config.enabled_backend_plugins[name] === true);
}
