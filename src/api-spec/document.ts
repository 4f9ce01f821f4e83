import { stringify } from 'yaml';
import { type Route, requiredAclOf } from '../http/route.js';
import type { Method } from '../http/router.js';

/*
 * The OpenAPI 2.0 document of `GET /api/api.yml` (misc-endpoints.md §5), generated from the route table
 * the server actually serves, so that it can neither list a route that does not exist nor miss one.
 * Upstream merges hand-written YAML files; only its envelope (`swagger`, `info`, `basePath`, `schemes`,
 * the security definitions) is reproduced here, the operations are described from the routes.
 */

type Yaml = null | boolean | number | string | Yaml[] | { [key: string]: Yaml };
type YamlObject = { [key: string]: Yaml };

/** Operation order within a path item. */
const METHOD_ORDER: readonly Method[] = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'];

const PARAM = /\{(\w+)(?::(uuid))?\}/g;

/** `/users/{user_uuid:uuid}` → `/users/{user_uuid}`: the router's converters are not OpenAPI syntax. */
export const openApiPath = (pattern: string): string => pattern.replace(PARAM, '{$1}');

function pathParameters(pattern: string): YamlObject[] {
  return [...pattern.matchAll(PARAM)].map(([, name, kind]) => ({
    name: name!,
    in: 'path',
    required: true,
    type: 'string',
    ...(kind === 'uuid' ? { format: 'uuid' } : {}),
  }));
}

/** `GET /users/{user_uuid}/policies` → `getUsersUserUuidPolicies`. */
function operationId(method: string, path: string): string {
  const words = path.split(/[^A-Za-z0-9]+/).filter(Boolean);
  return (
    method.toLowerCase() + words.map((word) => word[0]!.toUpperCase() + word.slice(1).toLowerCase()).join('')
  );
}

function operation(route: Route): YamlObject {
  const path = openApiPath(route.path);
  const parameters = pathParameters(route.path);
  if (route.readsBody) parameters.push({ name: 'body', in: 'body', required: true, schema: {} });
  const op: YamlObject = { operationId: operationId(route.method, path) };
  if (route.summary) op.summary = route.summary;
  const acl = requiredAclOf(route);
  if (acl) {
    op.description = `**Required ACL:** \`${acl}\``;
    op['x-required-acl'] = acl;
    op.security = [{ wazo_auth_token: [] }];
  }
  const tag = path.split('/').find(Boolean);
  if (tag) op.tags = [tag];
  if (parameters.length > 0) op.parameters = parameters;
  const responses: YamlObject = { default: { description: 'See the wazo-auth API documentation' } };
  if (acl) responses['401'] = { description: 'Unauthorized', schema: { $ref: '#/definitions/APIError' } };
  op.responses = responses;
  return op;
}

/** The `paths` map: one entry per route pattern, one operation per method, sorted for stable output. */
function paths(routes: readonly Route[]): YamlObject {
  const byPath = new Map<string, Route[]>();
  for (const route of routes) {
    const path = openApiPath(route.path);
    byPath.set(path, [...(byPath.get(path) ?? []), route]);
  }
  const result: YamlObject = {};
  for (const path of [...byPath.keys()].sort()) {
    const item: YamlObject = {};
    const sorted = [...byPath.get(path)!].sort(
      (a, b) => METHOD_ORDER.indexOf(a.method) - METHOD_ORDER.indexOf(b.method),
    );
    for (const route of sorted) item[route.method.toLowerCase()] = operation(route);
    result[path] = item;
  }
  return result;
}

export interface DocumentOptions {
  /** The `X-Script-Name` a reverse proxy sent: prefixes `basePath`, and the scheme becomes https. */
  scriptName?: string | undefined;
}

/** The document as a plain object. */
export function apiDocument(routes: readonly Route[], { scriptName }: DocumentOptions = {}): YamlObject {
  return {
    swagger: '2.0',
    info: {
      version: '0.1',
      title: 'wazo-auth',
      description: "Wazo's authentication service",
      license: { name: 'GPL-3.0-or-later', url: 'http://www.gnu.org/licenses/gpl-3.0.html' },
    },
    'x-xivo-port': 9497,
    'x-xivo-name': 'auth',
    basePath: scriptName ? `${scriptName}/0.1` : '/0.1',
    schemes: scriptName ? ['https'] : ['http'],
    consumes: ['application/json'],
    produces: ['application/json'],
    securityDefinitions: {
      wazo_auth_basic: { type: 'basic' },
      wazo_auth_token: { type: 'apiKey', name: 'X-Auth-Token', in: 'header' },
    },
    paths: paths(routes),
    definitions: {
      APIError: {
        type: 'object',
        properties: {
          timestamp: { type: 'number' },
          message: { type: 'string' },
          error_id: { type: 'string' },
          resource: { type: 'string' },
          details: { type: 'object' },
        },
      },
    },
  };
}

/** The document as YAML text. */
export function apiDocumentYaml(routes: readonly Route[], options: DocumentOptions = {}): string {
  return stringify(apiDocument(routes, options), { lineWidth: 0 });
}
