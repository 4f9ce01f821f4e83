/*
 * LDAP authentication (ldap.md): the per-tenant `/backends/ldap` configuration API and the `ldap` login
 * method with its `ldap_user` backend.
 */
export { type LdapConfigPut, ldapConfigJson, parseLdapConfigPut } from './config.js';
export { checkLdapLogin, type DirectoryAnswer, type DirectoryOptions, type Refusal } from './directory.js';
export { DEFAULT_SEARCH_FILTER, escapeDnValue, escapeFilterValue, formatSearchFilter } from './escape.js';
export {
  LDAP_CA_FILE_VARIABLE,
  LdapLoginMethod,
  type LdapLoginMethodDependencies,
  ldapCaFromEnvironment,
} from './method.js';
export { LdapConfigRepository } from './repository.js';
export { type LdapConfigRouteDependencies, ldapConfigRoutes } from './routes.js';
