import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { type Config, configSchema } from './schema.js';

type Tree = Record<string, unknown>;

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export interface LoadedConfig {
  config: Config;
  /** Files read, in merge order. */
  files: string[];
  /** Keys present in the sources that this server does not use (kept, reported at start-up). */
  ignoredKeys: string[];
}

/** Which configuration key each environment variable of running.md overrides. */
const ENV_KEYS: ReadonlyArray<{ variable: string; path: string[]; parse?: 'int' }> = [
  { variable: 'WAZO_AUTH_LISTEN', path: ['rest_api', 'listen'] },
  { variable: 'WAZO_AUTH_PORT', path: ['rest_api', 'port'], parse: 'int' },
  { variable: 'WAZO_AUTH_DB_URI', path: ['db_uri'] },
  { variable: 'WAZO_AUTH_BUS_URI', path: ['amqp', 'uri'] },
  { variable: 'WAZO_AUTH_WORKERS', path: ['workers'], parse: 'int' },
  { variable: 'WAZO_AUTH_TLS_CERT', path: ['rest_api', 'certificate'] },
  { variable: 'WAZO_AUTH_TLS_KEY', path: ['rest_api', 'private_key'] },
  { variable: 'WAZO_AUTH_BOOTSTRAP_USERNAME', path: ['bootstrap_user_username'] },
  { variable: 'WAZO_AUTH_BOOTSTRAP_PASSWORD', path: ['bootstrap_user_password'] },
  { variable: 'XIVO_UUID', path: ['uuid'] },
];

const isTree = (value: unknown): value is Tree =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Later sources win key by key; nested mappings merge rather than replace (upstream's chained config). */
export function deepMerge(base: Tree, override: Tree): Tree {
  const merged: Tree = { ...base };
  for (const [key, value] of Object.entries(override)) {
    const previous = merged[key];
    merged[key] = isTree(previous) && isTree(value) ? deepMerge(previous, value) : value;
  }
  return merged;
}

function readYamlFile(file: string): Tree {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError(`Cannot read configuration file ${file}: ${(error as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = parseYaml(text);
  } catch (error) {
    throw new ConfigError(`Invalid YAML in ${file}: ${(error as Error).message}`);
  }
  if (parsed === null || parsed === undefined) return {};
  if (!isTree(parsed))
    throw new ConfigError(`Configuration file ${file} must hold a mapping at its top level`);
  return parsed;
}

/** The main file, then every `*.yml`/`*.yaml` of the `conf.d/` folder beside it in name order. */
function configFiles(mainFile: string): string[] {
  const confD = join(dirname(mainFile), 'conf.d');
  let extra: string[] = [];
  try {
    if (statSync(confD).isDirectory()) {
      extra = readdirSync(confD)
        .filter((name) => /\.ya?ml$/.test(name) && !name.startsWith('.'))
        .sort()
        .map((name) => join(confD, name));
    }
  } catch {
    // No conf.d folder: only the main file counts.
  }
  return [mainFile, ...extra];
}

function setPath(tree: Tree, path: string[], value: unknown): Tree {
  const [head, ...rest] = path;
  if (head === undefined) return tree;
  const child = tree[head];
  return { ...tree, [head]: rest.length === 0 ? value : setPath(isTree(child) ? child : {}, rest, value) };
}

function environmentOverrides(env: NodeJS.ProcessEnv): { tree: Tree; origins: Map<string, string> } {
  let tree: Tree = {};
  const origins = new Map<string, string>();
  for (const { variable, path, parse } of ENV_KEYS) {
    const raw = env[variable];
    if (raw === undefined || raw === '') continue;
    let value: unknown = raw;
    if (parse === 'int') {
      if (!/^\d+$/.test(raw.trim()))
        throw new ConfigError(`${variable} must be a whole number, got "${raw}"`);
      value = Number(raw.trim());
    }
    tree = setPath(tree, path, value);
    origins.set(path.join('.'), variable);
  }
  // running.md: either bootstrap variable turns the start-up bootstrap on (upstream's bootstrap_user_on_startup).
  if (env.WAZO_AUTH_BOOTSTRAP_USERNAME || env.WAZO_AUTH_BOOTSTRAP_PASSWORD) {
    tree = setPath(tree, ['bootstrap_user_on_startup'], true);
    origins.set('bootstrap_user_on_startup', 'WAZO_AUTH_BOOTSTRAP_USERNAME/WAZO_AUTH_BOOTSTRAP_PASSWORD');
  }
  return { tree, origins };
}

function describeIssues(issues: z.core.$ZodIssue[], origins: Map<string, string>): string {
  return issues
    .map((issue) => {
      const key = issue.path.map(String).join('.') || '(top level)';
      const origin = origins.get(key);
      return `  ${key}${origin ? ` (from ${origin})` : ''}: ${issue.message}`;
    })
    .join('\n');
}

/** Keys of `tree` that the schema does not declare, one level into the known sections. */
function unknownKeys(tree: Tree): string[] {
  const shape = configSchema.shape as Record<string, unknown>;
  const unknown: string[] = [];
  for (const [key, value] of Object.entries(tree)) {
    const field = shape[key];
    if (field === undefined) {
      unknown.push(key);
      continue;
    }
    const nested = nestedShape(field);
    if (nested && isTree(value)) {
      for (const sub of Object.keys(value)) if (!(sub in nested)) unknown.push(`${key}.${sub}`);
    }
  }
  return unknown;
}

function nestedShape(field: unknown): Record<string, unknown> | undefined {
  // Sections are wrapped in a prefault; unwrap to the object schema to see its declared keys.
  let current = field as {
    shape?: Record<string, unknown>;
    unwrap?: () => unknown;
    def?: { innerType?: unknown };
  };
  for (let depth = 0; depth < 3 && current; depth++) {
    if (current.shape) return current.shape;
    current = (current.def?.innerType ?? undefined) as typeof current;
  }
  return undefined;
}

/**
 * Configuration from, in increasing priority: the schema defaults, the YAML file named by
 * WAZO_AUTH_CONFIG (or `file`), its `conf.d/` folder, then the environment variables of running.md.
 */
export function loadConfig(options: { env?: NodeJS.ProcessEnv; file?: string | null } = {}): LoadedConfig {
  const env = options.env ?? process.env;
  const mainFile = options.file === undefined ? env.WAZO_AUTH_CONFIG || null : options.file;
  const files = mainFile ? configFiles(mainFile) : [];
  let tree: Tree = {};
  for (const file of files) tree = deepMerge(tree, readYamlFile(file));
  const { tree: fromEnv, origins } = environmentOverrides(env);
  tree = deepMerge(tree, fromEnv);

  const result = configSchema.safeParse(tree);
  if (!result.success) {
    const where = files.length ? ` (files: ${files.join(', ')})` : '';
    throw new ConfigError(`Invalid configuration${where}:\n${describeIssues(result.error.issues, origins)}`);
  }
  return { config: result.data, files, ignoredKeys: unknownKeys(tree) };
}
