export { ConfigError, type LoadedConfig, loadConfig } from './load.js';
export { MASKED, maskSecrets, maskUriPassword } from './mask.js';
export { type Config, configSchema } from './schema.js';
