import type { Config } from '../config/index.js';

/**
 * The authentication backends this server implements: `ldap_user` (LDAP logins, src/ldap) and
 * `wazo_user` (native and SAML logins), in the order upstream's default configuration lists them.
 */
export const IMPLEMENTED_BACKENDS = ['ldap_user', 'wazo_user'] as const;

/** Backends both implemented and enabled by `enabled_backend_plugins`, in implementation order. */
export function loadedBackends(config: Pick<Config, 'enabled_backend_plugins'>): string[] {
  return IMPLEMENTED_BACKENDS.filter((name) => config.enabled_backend_plugins[name] === true);
}
