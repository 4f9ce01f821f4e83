// GET /api/api.yml (misc-endpoints.md §5, conventions.md §7): the OpenAPI 2.0 document of the routes served.
import t from 'tap';
import { parse } from 'yaml';
import { apiDocument, openApiPath, withApiDocument } from '../../src/api-spec/index.js';
import { json } from '../../src/http/request.js';
import { type Route, requiredAclOf, type Step } from '../../src/http/route.js';
import { Router } from '../../src/http/router.js';
import { startTestApp } from '../helpers/app.js';

type Operation = {
  operationId: string;
  summary?: string;
  description?: string;
  'x-required-acl'?: string;
  security?: unknown[];
  tags?: string[];
  parameters?: Array<{ name: string; in: string; required: boolean; type?: string; format?: string }>;
  responses: Record<string, unknown>;
};
type ApiDocument = {
  swagger: string;
  info: { title: string; version: string };
  basePath: string;
  schemes: string[];
  paths: Record<string, Record<string, Operation>>;
};

const operations = (doc: ApiDocument): string[] =>
  Object.entries(doc.paths).flatMap(([path, item]) =>
    Object.keys(item).map((method) => `${method.toUpperCase()} ${path}`),
  );

t.test('the document lists every route of the running server', async (t) => {
  // The server's route table, as the router receives it (the app does not expose it otherwise).
  const table: Route[] = [];
  const add = Router.prototype.add;
  Router.prototype.add = function (this: Router, route: Route) {
    table.push(route);
    add.call(this, route);
  };
  let server: Awaited<ReturnType<typeof startTestApp>>;
  try {
    server = await startTestApp(t);
  } finally {
    Router.prototype.add = add;
  }

  const res = await server.call({ path: '/0.1/api/api.yml' });
  t.equal(res.status, 200, 'no authentication');
  t.equal(res.headers['content-type'], 'application/x-yaml');
  const doc = parse(res.text) as ApiDocument;
  t.equal(doc.swagger, '2.0');
  t.equal(doc.info.title, 'wazo-auth');
  t.equal(doc.basePath, '/0.1');
  t.strictSame(doc.schemes, ['http']);

  t.test('exactly the route table, each route once', async (t) => {
    const expected = table.map((route) => `${route.method} ${openApiPath(route.path)}`).sort();
    t.ok(expected.length > 20, `${expected.length} routes`);
    t.equal(new Set(expected).size, expected.length, 'no duplicate in the table');
    t.strictSame(operations(doc).sort(), expected);
    for (const path of [
      '/token',
      '/token/{token}',
      '/users',
      '/policies',
      '/config',
      '/api/api.yml',
      '/status',
    ]) {
      t.ok(doc.paths[path], `${path} listed`);
    }
    const ids = operations(doc).map((op) => {
      const [method, path] = op.split(' ');
      return doc.paths[path!]![method!.toLowerCase()]!.operationId;
    });
    t.equal(new Set(ids).size, ids.length, 'operationIds are unique');
  });

  t.test('path parameters, bodies and declared ACLs', async (t) => {
    for (const route of table) {
      const op = doc.paths[openApiPath(route.path)]![route.method.toLowerCase()]!;
      const declared = [...route.path.matchAll(/\{(\w+)(:uuid)?\}/g)].map(([, name, uuid]) => ({
        name: name!,
        in: 'path',
        required: true,
        type: 'string',
        ...(uuid ? { format: 'uuid' } : {}),
      }));
      const inPath = (op.parameters ?? []).filter((p) => p.in === 'path');
      t.strictSame(inPath, declared, `${route.method} ${route.path}: path parameters`);
      t.equal(
        (op.parameters ?? []).some((p) => p.in === 'body'),
        route.readsBody === true,
        `${route.method} ${route.path}: body`,
      );
      t.equal(op['x-required-acl'], requiredAclOf(route), `${route.method} ${route.path}: ACL`);
      t.ok(Object.keys(op.responses).length > 0);
    }
    const getConfig = doc.paths['/config']!.get!;
    t.equal(getConfig['x-required-acl'], 'auth.config.read');
    t.equal(getConfig.description, '**Required ACL:** `auth.config.read`');
    t.strictSame(getConfig.security, [{ wazo_auth_token: [] }]);
    t.equal(doc.paths['/config']!.patch!['x-required-acl'], 'auth.config.update');
    const byUuid = doc.paths['/users/{user_uuid}']?.get;
    t.ok(byUuid, 'the router converter is not in the OpenAPI path');
    t.match(byUuid?.parameters, [{ name: 'user_uuid', in: 'path', format: 'uuid' }]);
  });

  t.test('every documented operation is served', async (t) => {
    const sample = '3f6f0f5e-2f51-4d8a-9d0a-0c4b8b1f7a11';
    for (const op of operations(doc)) {
      const [method, path] = op.split(' ') as [string, string];
      const url = `/0.1${path.replace(/\{\w+\}/g, sample)}`;
      const res = await server.call({ method, path: url });
      t.not(res.status, 405, op);
      t.notOk(
        res.status === 404 && String(res.headers['content-type']).startsWith('text/html'),
        `${op} matched`,
      );
    }
  });

  t.test('X-Script-Name: basePath prefixed, https', async (t) => {
    const proxied = await server.call({
      path: '/0.1/api/api.yml',
      headers: { 'X-Script-Name': '/api/auth' },
    });
    t.equal(proxied.status, 200);
    const body = parse(proxied.text) as ApiDocument;
    t.equal(body.basePath, '/api/auth/0.1');
    t.strictSame(body.schemes, ['https']);
    t.strictSame(body.paths, doc.paths, 'same operations');
    const again = parse((await server.call({ path: '/0.1/api/api.yml' })).text) as ApiDocument;
    t.equal(again.basePath, '/0.1', 'the plain document is unaffected');
    const empty = parse(
      (await server.call({ path: '/0.1/api/api.yml', headers: { 'X-Script-Name': '' } })).text,
    ) as ApiDocument;
    t.equal(empty.basePath, '/0.1', 'an empty header is no prefix');
  });

  t.test('also under /api/auth/0.1, HEAD, and a 405 for other methods', async (t) => {
    const alias = await server.call({ path: '/api/auth/0.1/api/api.yml' });
    t.equal(alias.status, 200);
    t.equal(alias.text, res.text);
    const head = await server.call({ method: 'HEAD', path: '/0.1/api/api.yml' });
    t.equal(head.status, 200);
    t.equal(head.text, '');
    const post = await server.call({ method: 'POST', path: '/0.1/api/api.yml' });
    t.equal(post.status, 405);
    t.equal(post.headers.allow, 'GET, HEAD, OPTIONS');
  });
});

/** A stand-in for `requireAcl`: a step that only declares the template it would check. */
const aclStep = (template: string): Step => Object.assign(() => undefined, { requiredAcl: template });

t.test('the document built from a route list', async (t) => {
  const noop = () => json({});
  const routes = withApiDocument({ enabled_http_plugins: {} }, [
    { method: 'HEAD', path: '/status', handle: noop },
    {
      method: 'DELETE',
      path: '/users/{user_uuid:uuid}/policies/{policy}',
      steps: [aclStep('auth.users.{user_uuid}.policies.{policy}.delete')],
      handle: noop,
    },
    { method: 'GET', path: '/users/{user_uuid:uuid}/policies/{policy}', summary: 'One policy', handle: noop },
    {
      method: 'POST',
      path: '/things',
      readsBody: true,
      steps: [aclStep('auth.things.create')],
      handle: noop,
    },
  ]);
  t.equal(routes.length, 5, 'the API route added');
  t.equal(routes[4]!.path, '/api/api.yml');
  t.equal(
    withApiDocument({ enabled_http_plugins: { api: false } }, routes.slice(0, 4)).length,
    4,
    'api: false',
  );

  const doc = apiDocument(routes) as unknown as ApiDocument;
  t.strictSame(Object.keys(doc.paths), [
    '/api/api.yml',
    '/status',
    '/things',
    '/users/{user_uuid}/policies/{policy}',
  ]);
  const item = doc.paths['/users/{user_uuid}/policies/{policy}']!;
  t.strictSame(Object.keys(item), ['get', 'delete'], 'methods in a fixed order');
  t.strictSame(item.delete, {
    operationId: 'deleteUsersUserUuidPoliciesPolicy',
    description: '**Required ACL:** `auth.users.{user_uuid}.policies.{policy}.delete`',
    'x-required-acl': 'auth.users.{user_uuid}.policies.{policy}.delete',
    security: [{ wazo_auth_token: [] }],
    tags: ['users'],
    parameters: [
      { name: 'user_uuid', in: 'path', required: true, type: 'string', format: 'uuid' },
      { name: 'policy', in: 'path', required: true, type: 'string' },
    ],
    responses: {
      default: { description: 'See the wazo-auth API documentation' },
      401: { description: 'Unauthorized', schema: { $ref: '#/definitions/APIError' } },
    },
  });
  t.equal(item.get!.summary, 'One policy');
  t.equal(item.get!.security, undefined, 'no declared ACL: no security requirement');
  t.strictSame(doc.paths['/things']!.post!.parameters, [
    { name: 'body', in: 'body', required: true, schema: {} },
  ]);
  t.strictSame(doc.paths['/status']!.head!.operationId, 'headStatus');
  const proxied = apiDocument(routes, { scriptName: '/api/auth' }) as unknown as ApiDocument;
  t.equal(proxied.basePath, '/api/auth/0.1');
  t.strictSame(proxied.schemes, ['https']);
});
