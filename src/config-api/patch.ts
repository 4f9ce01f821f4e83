import { errors, type Json } from '../http/errors.js';
import { notNullError, requiredError, typeError, validatorError } from '../validation/errors.js';
import { type ErrorDict, type ErrorInfo, firstError } from '../validation/index.js';

export const CONFIG_PATCH_PATHS = ['/debug', '/profiling_enabled'] as const;
export type ConfigPatchPath = (typeof CONFIG_PATCH_PATHS)[number];

/** One item of a `PATCH /config` body (a JSON Patch `replace` on a boolean switch). */
export interface ConfigPatchOperation {
  op: 'replace';
  path: ConfigPatchPath;
  value: boolean;
}

const ITEM_FIELDS = ['op', 'path', 'value'];

const isObject = (value: Json): value is { [key: string]: Json } =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** The errors of one item, keyed by field in schema order then unknown keys (marshmallow's order). */
function itemErrors(item: Json): ErrorDict | null {
  if (!isObject(item)) return { _schema: ['Invalid input type.'] };
  const found: ErrorDict = {};
  const check = (name: string, validate: (value: Json) => ErrorInfo | ErrorInfo[] | undefined) => {
    if (!Object.hasOwn(item, name)) {
      found[name] = requiredError();
      return;
    }
    const value = item[name]!;
    const error = value === null ? notNullError() : validate(value);
    if (error) found[name] = error;
  };
  check('op', (op) =>
    typeof op !== 'string'
      ? typeError('string')
      : op === 'replace'
        ? undefined
        : [validatorError('equal', 'replace', 'Must be equal to replace.')],
  );
  check('path', (path) =>
    typeof path !== 'string'
      ? typeError('string')
      : (CONFIG_PATCH_PATHS as readonly string[]).includes(path)
        ? undefined
        : [
            validatorError(
              'enum',
              { choices: [...CONFIG_PATCH_PATHS] },
              `Must be one of: ${CONFIG_PATCH_PATHS.join(', ')}.`,
            ),
          ],
  );
  // Stricter than marshmallow's Boolean (which also takes "true", 1, "yes"…): the switches are JSON booleans.
  check('value', (value) => (typeof value === 'boolean' ? undefined : typeError('boolean')));
  for (const key of Object.keys(item)) if (!ITEM_FIELDS.includes(key)) found[key] = ['Unknown field.'];
  return Object.keys(found).length > 0 ? found : null;
}

/**
 * Reads a `PATCH /config` body: a JSON array of `{"op": "replace", "path": "/debug" | "/profiling_enabled",
 * "value": <boolean>}`, nothing else (unknown keys included). An empty array is valid and changes nothing.
 *
 * Any invalid item rejects the whole patch before anything is applied. Upstream does the same but does
 * not catch the validation error: it answers a 500 whose body is the submitted patch echoed back
 * (conventions.md §7). This server answers a 400 `invalid-data` API error (resource `config`) naming the
 * first bad item by its index, e.g. `{"0": {"op": {"constraint_id": "equal", …}}}`.
 */
export function parseConfigPatch(body: Json | undefined): ConfigPatchOperation[] {
  const fail = (dict: ErrorDict): never => {
    const { details, message } = firstError(dict);
    throw errors.invalidData('config', details, message);
  };
  if (!Array.isArray(body)) return fail({ _schema: ['Invalid input type.'] });
  body.forEach((item, index) => {
    const found = itemErrors(item);
    if (found) fail({ [String(index)]: found });
  });
  return body as unknown as ConfigPatchOperation[];
}
