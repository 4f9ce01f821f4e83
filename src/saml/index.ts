/*
 * wazo-auth as a SAML 2.0 service provider (saml.md): one IdP per tenant, chosen by domain name.
 *
 * Wiring: `const saml = new Saml(deps)`, `saml.start()`; routes `samlRoutes(saml)` and
 * `samlConfigRoutes(saml)`; the login method `new SamlLoginMethod(saml)`; `saml.purge()` from the periodic
 * cleanup (or `saml.startPurging(token_cleanup_interval)`); `saml.stop()` at shutdown.
 */
export { samlConfigRoutes } from './config-routes.js';
export { SamlLoginMethod } from './login-method.js';
export { samlRoutes } from './routes.js';
export { Saml, type SamlDependencies } from './service.js';
