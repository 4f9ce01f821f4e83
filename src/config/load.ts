import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { type Config, configSchema } from './schema.js';

type Tree = Record<string, unknown>;

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** A file of the `conf.d/` folder that was not used, and why. Not fatal: the caller logs it (upstream prints it). */
export interface SkippedFile {
  file: string;
  reason: string;
}

export interface LoadedConfig {
  config: Config;
  /**
   * Files read, highest priority first: the `conf.d/*.yml` files in name order, then the main file. This
   * is also the order in which list items accumulate.
   */
  files: string[];
  /** Files of `conf.d/` left out (unreadable, invalid YAML, not a mapping, named `*.yaml`): to be logged. */
  skippedFiles: SkippedFile[];
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

/** Sets an own property, `__proto__` included (a YAML key is data, never the object's prototype). */
function put(tree: Tree, key: string, value: unknown): void {
  Object.defineProperty(tree, key, { value, enumerable: true, writable: true, configurable: true });
}

/**
 * Adds `lower` beneath `higher`, upstream's chain of configuration files (xivo `AccumulatingListChainMap`):
 * a key `higher` already has keeps its value, whatever `lower` says (a null included); two mappings merge
 * key by key, recursively; two lists accumulate, `higher`'s items first, duplicates kept. A key only
 * `lower` has is added. With `accumulate` false it is upstream's plain `ChainMap`, the one that puts the
 * files above the built-in defaults: there a list from a file replaces the default list.
 */
function chain(higher: Tree, lower: Tree, accumulate: boolean): Tree {
  const merged: Tree = { ...higher };
  for (const [key, value] of Object.entries(lower)) {
    if (!Object.hasOwn(merged, key)) {
      put(merged, key, value);
      continue;
    }
    const kept = merged[key];
    if (isTree(kept) && isTree(value)) put(merged, key, chain(kept, value, accumulate));
    else if (accumulate && Array.isArray(kept) && Array.isArray(value)) put(merged, key, [...kept, ...value]);
  }
  return merged;
}

/** The mapping a YAML file holds. An empty (or falsy) document is no configuration, as upstream reads it. */
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
  if (!parsed || (Array.isArray(parsed) && parsed.length === 0)) return {};
  if (!isTree(parsed))
    throw new ConfigError(`Configuration file ${file} must hold a mapping at its top level`);
  return parsed;
}

/** Code point order, as Python's `sorted` orders file names (UTF-8 byte order is code point order). */
const byCodePoint = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));

/**
 * The extra configuration of `dir` as upstream's `parse_config_dir` reads it: the names ending in `.yml`
 * (not `.yaml`), hidden ones left out, in name order; a file that cannot be read or parsed is skipped
 * and reported, never fatal. A missing folder is no extra configuration.
 */
function readExtraConfig(dir: string): {
  sources: Array<{ file: string; tree: Tree }>;
  skipped: SkippedFile[];
} {
  const sources: Array<{ file: string; tree: Tree }> = [];
  const skipped: SkippedFile[] = [];
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT')
      skipped.push({ file: dir, reason: `cannot read the folder: ${(error as Error).message}` });
    return { sources, skipped };
  }
  for (const name of names.sort(byCodePoint)) {
    if (name.startsWith('.')) continue;
    const file = join(dir, name);
    if (!name.endsWith('.yml')) {
      // Upstream ignores every other name silently; `.yaml` is the one that looks like a mistake.
      if (/\.yaml$/i.test(name)) skipped.push({ file, reason: 'only files named *.yml are read' });
      continue;
    }
    try {
      sources.push({ file, tree: readYamlFile(file) });
    } catch (error) {
      skipped.push({ file, reason: (error as Error).message });
    }
  }
  return { sources, skipped };
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
    const field = Object.hasOwn(shape, key) ? shape[key] : undefined;
    if (field === undefined) {
      unknown.push(key);
      continue;
    }
    const nested = nestedShape(field);
    if (nested && isTree(value)) {
      for (const sub of Object.keys(value)) if (!Object.hasOwn(nested, sub)) unknown.push(`${key}.${sub}`);
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
 * Configuration from, in decreasing priority (upstream's `read_config_file_hierarchy_accumulating_list`
 * under its `ChainMap` of defaults):
 *   1. the environment variables of running.md;
 *   2. the `*.yml` files of the `conf.d/` folder beside the main file, in name order, the first file
 *      winning for a scalar;
 *   3. the main file, WAZO_AUTH_CONFIG (or `file`);
 *   4. the built-in defaults of the schema.
 * Mappings merge key by key at every level. Lists accumulate across the files (2 and 3), in that same
 * order: the items of the first `conf.d` file, then those of the next ones, the main file's last; a list
 * from the files replaces the built-in default list. A `conf.d` file that cannot be used is skipped and
 * reported in `skippedFiles`; a main file that cannot be used is fatal.
 */
export function loadConfig(options: { env?: NodeJS.ProcessEnv; file?: string | null } = {}): LoadedConfig {
  const env = options.env ?? process.env;
  const mainFile = options.file === undefined ? env.WAZO_AUTH_CONFIG || null : options.file;
  const sources: Array<{ file: string; tree: Tree }> = [];
  const skippedFiles: SkippedFile[] = [];
  if (mainFile) {
    const main = readYamlFile(mainFile);
    const extra = readExtraConfig(join(dirname(mainFile), 'conf.d'));
    sources.push(...extra.sources, { file: mainFile, tree: main });
    skippedFiles.push(...extra.skipped);
  }
  let fromFiles: Tree = {};
  for (const { tree } of sources) fromFiles = chain(fromFiles, tree, true);
  const { tree: fromEnv, origins } = environmentOverrides(env);
  // The environment over the files: upstream's plain ChainMap, as for the defaults beneath them.
  const given = chain(fromEnv, fromFiles, false);
  const tree = chain(given, builtInDefaults(), false);

  const files = sources.map(({ file }) => file);
  const result = configSchema.safeParse(tree);
  if (!result.success) {
    const where = files.length ? ` (files: ${files.join(', ')})` : '';
    throw new ConfigError(`Invalid configuration${where}:\n${describeIssues(result.error.issues, origins)}`);
  }
  return { config: result.data, files, skippedFiles, ignoredKeys: unknownKeys(given) };
}

/** Every default of the schema, as one tree (a fresh one: the caller's merge must not share it). */
function builtInDefaults(): Tree {
  return configSchema.parse({}) as Tree;
}
