export { requireMasterTenant } from './master-tenant.js';
export { CONFIG_PATCH_PATHS, type ConfigPatchOperation, parseConfigPatch } from './patch.js';
export { type ConfigRouteDependencies, configRoutes } from './routes.js';
export { ConfigService, PYTHON_LOG_LEVELS } from './service.js';
