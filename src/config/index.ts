export { ConfigError, type LoadedConfig, loadConfig } from './load.js';
export { type Config, configSchema } from './schema.js';
