import fc from 'fast-check';
import { configSchema } from '../../src/config/index.js';

/** A route as `GET /api/api.yml` lists it. */
export interface ApiRoute {
  method: string;
  /** OpenAPI form: `/users/{user_uuid}`. */
  path: string;
  readsBody: boolean;
  authenticated: boolean;
  /** A path parameter is an id (OpenAPI `format: uuid`): a random one names nothing. */
  idParam: boolean;
}

/** What the run knows of the server it fuzzes. */
export interface Target {
  routes: ApiRoute[];
  adminToken: string;
  masterTenant: string;
}

/** One malformed request, as bytes, and what may legitimately come of it. */
export interface FuzzRequest {
  label: string;
  bytes: Buffer;
  /** The request's framing lies (a Content-Length longer than the body): the server may close unanswered. */
  mayClose: boolean;
  /** Send, then half-close: the body announced will never come. */
  halfClose: boolean;
  /** The one status a well-formed answer may have, when the defect decides it. */
  expectedStatus?: number;
}

const INJECTIONS = [
  "' OR '1'='1",
  "'; DROP TABLE auth_user; --",
  '1; SELECT pg_sleep(10)--',
  '" OR ""="',
  '\\',
  "%' AND 1=0 UNION SELECT password_hash FROM auth_user --",
  '*)(uid=*))(|(uid=*',
  'admin)(&)',
  '\\2a\\28\\29',
  'cn=*,dc=example,dc=com',
  '\r\nSet-Cookie: injected=1',
  '%0d%0aX-Injected:%201',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a log4j lookup, sent as it is.
  '${jndi:ldap://127.0.0.1/a}',
  '{{7*7}}',
  '<script>alert(1)</script>',
  '\u0000',
  '\ud800',
  '\uffff\ufffe',
  'null',
  'undefined',
  'NaN',
  '-0',
  '1e309',
  'true',
  '[]',
  '{}',
];

const TRAVERSALS = [
  '..',
  '../..',
  '%2e%2e',
  '%2e%2e%2f%2e%2e%2fetc%2fpasswd',
  '..%2f..%2f..%2fetc%2fpasswd',
  '%252e%252e%252f',
  '..\\..\\windows',
  '%c0%ae%c0%ae/',
  'a%2fb',
  '%00',
  '.',
  '',
];

const BAD_UUIDS = [
  'not-a-uuid',
  '00000000-0000-0000-0000-00000000000g',
  '00000000000000000000000000000000',
  '{00000000-0000-0000-0000-000000000000}',
  'ffffffff-ffff-ffff-ffff-ffffffffffff',
  '00000000-0000-0000-0000-000000000000',
  '123',
  '-1',
  'zzzzzzzz-zzzz-zzzz-zzzz-zzzzzzzzzzzz',
];

/** Field names of this API's bodies and queries: the validation code behind them gets reached. */
const FIELDS = [
  'username',
  'password',
  'old_password',
  'new_password',
  'email_address',
  'firstname',
  'lastname',
  'purpose',
  'enabled',
  'authentication_method',
  'name',
  'slug',
  'uuid',
  'parent_uuid',
  'domain_names',
  'default_authentication_method',
  'description',
  'acl',
  'acl_templates',
  'shared',
  'expiration',
  'access_type',
  'client_id',
  'refresh_token',
  'saml_session_id',
  'tenant_id',
  'domain_name',
  'backend',
  'scopes',
  'tenant_uuid',
  'host',
  'port',
  'protocol_security',
  'bind_dn',
  'bind_password',
  'user_base_dn',
  'user_login_attribute',
  'user_email_attribute',
  'search_filters',
  'redirect_url',
  'domain',
  'domain_uuid',
  'entity_id',
  'acs_url',
  'users',
  'emails',
  'address',
  'main',
  'confirmed',
  'metadata',
  'client_secret',
  'scope',
  'op',
  'path',
  'value',
];

const QUERY_KEYS = [
  'limit',
  'offset',
  'order',
  'direction',
  'search',
  'recurse',
  'tenant',
  'scope',
  'uuid',
  'token',
  'login',
  'username',
  'email',
  'user_uuid',
  'policy_uuid',
  'slug',
  'name',
  'RelayState',
  'SAMLResponse',
  'code',
  'state',
  'redirect_uri',
];

/**
 * Field names whose wrong type makes any body of the routes without a path id invalid (creations,
 * registration, configuration): an admin's object bodies always carry them, so none succeeds.
 */
const REQUIRED_STRINGS = ['username', 'name', 'host', 'domain', 'redirect_url', 'email_address', 'password'];

/** GET routes that change something: never sent with a working token. */
const MUTATING_GET = /logout|confirm|authorize|callback|sls|acs/;

/** Routes taking any JSON object (external auth configurations): only non-objects are sure to fail. */
const FREE_FORM = /^\/external\/\{auth_type\}\/config$/;

/** Methods uWebSockets.js's HTTP parser knows; it closes the connection on others (and lower case). */
const PARSED_METHODS = new Set([
  'GET',
  'HEAD',
  'POST',
  'PUT',
  'PATCH',
  'DELETE',
  'OPTIONS',
  'TRACE',
  'CONNECT',
]);

const bytes = (text: string) => Buffer.from(text, 'utf8');
const INVALID_UTF8 = [
  Buffer.from([0xff, 0xfe, 0xfd]),
  Buffer.from([0xc0, 0xaf]),
  Buffer.from([0x80]),
  Buffer.from([0xed, 0xa0, 0x80]),
  Buffer.from([0xf8, 0x88, 0x80, 0x80, 0x80]),
  Buffer.from([0xe2, 0x82]),
];

const garbageText = fc.oneof(
  fc.constantFrom(...INJECTIONS),
  fc.constantFrom(...BAD_UUIDS),
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 20 }),
  fc.integer().map(String),
);

const wrongType: fc.Arbitrary<unknown> = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(-0),
  fc.array(fc.integer(), { maxLength: 3 }),
  fc.dictionary(fc.constantFrom('$ne', '$gt', 'a', '__proto__', 'constructor'), fc.integer(), { maxKeys: 2 }),
);

const anyValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 3, arbitrary: garbageText },
  { weight: 2, arbitrary: wrongType },
  { weight: 1, arbitrary: fc.constant(null) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
);

/** A JSON text that JSON.stringify would not write (non-finite numbers, -0, giant integers). */
const NUMBER_LITERALS = [
  '1e309',
  '-1e309',
  '-0',
  '1e-400',
  '123456789012345678901234567890',
  '0.1e1000',
  '-0.0',
];

type BodyKind =
  | 'none'
  | 'broken-json'
  | 'wrong-root'
  | 'object'
  | 'huge-string'
  | 'huge-number'
  | 'deep'
  | 'invalid-utf8'
  | 'multipart'
  | 'form'
  | 'oversize';

const bodyKind = fc.constantFrom<BodyKind>(
  'none',
  'broken-json',
  'wrong-root',
  'object',
  'object',
  'object',
  'huge-string',
  'huge-number',
  'deep',
  'invalid-utf8',
  'multipart',
  'form',
);

interface Choices {
  route: number;
  methodTwist: number;
  prefix: number;
  params: string[];
  paramKind: number[];
  pathTwist: number;
  query: [string, string, number][];
  auth: number;
  tenant: number;
  contentType: number;
  length: number;
  body: BodyKind;
  fields: [string, unknown][];
  pick: number;
  size: number;
  garbage: string;
  basic: number;
}

const choices: fc.Arbitrary<Choices> = fc.record({
  route: fc.nat(),
  methodTwist: fc.nat(99),
  prefix: fc.nat(9),
  params: fc.array(garbageText, { minLength: 3, maxLength: 3 }),
  paramKind: fc.array(fc.nat(9), { minLength: 3, maxLength: 3 }),
  pathTwist: fc.nat(19),
  query: fc.array(fc.tuple(fc.constantFrom(...QUERY_KEYS), garbageText, fc.nat(9)), { maxLength: 4 }),
  auth: fc.nat(19),
  tenant: fc.nat(9),
  contentType: fc.nat(19),
  length: fc.nat(19),
  body: bodyKind,
  fields: fc.array(fc.tuple(fc.oneof(fc.constantFrom(...FIELDS), fc.string({ maxLength: 10 })), anyValue), {
    maxLength: 6,
  }),
  pick: fc.nat(),
  size: fc.integer({ min: 100_000, max: 400_000 }),
  garbage: garbageText,
  basic: fc.nat(19),
});

/** `text` percent-encoded for a path segment or query value, sometimes raw (invalid) bytes instead. */
function encode(text: string, raw: boolean): string {
  return raw ? text.replace(/[\s?#]/g, '') : percent(text);
}

/** encodeURIComponent, which throws on lone surrogates. */
function percent(text: string): string {
  let out = '';
  for (const byte of Buffer.from(text, 'utf8')) {
    const char = String.fromCharCode(byte);
    out += /[A-Za-z0-9\-_.~]/.test(char) ? char : `%${byte.toString(16).padStart(2, '0').toUpperCase()}`;
  }
  return out;
}

function pathOf(
  route: ApiRoute,
  c: Choices,
  target: Target,
  realIds: boolean,
): { path: Buffer; withId: boolean } {
  let withId = false;
  let index = 0;
  const parts: Buffer[] = [];
  const template = route.path.split(/(\{\w+\})/);
  for (const piece of template) {
    if (!/^\{\w+\}$/.test(piece)) {
      parts.push(bytes(piece));
      continue;
    }
    const kind = c.paramKind[index % 3]!;
    const text = c.params[index % 3]!;
    index++;
    withId = true;
    if (kind <= 2) parts.push(bytes(crypto.randomUUID()));
    else if (kind === 3) parts.push(bytes(BAD_UUIDS[c.pick % BAD_UUIDS.length]!));
    else if (kind === 4) parts.push(bytes(TRAVERSALS[c.pick % TRAVERSALS.length]!));
    else if (kind === 5) parts.push(INVALID_UTF8[c.pick % INVALID_UTF8.length]!);
    else if (kind === 6) parts.push(bytes(encode(text, false)));
    else if (kind === 7) parts.push(bytes(encode(text, true)));
    else if (kind === 8) parts.push(bytes('x'.repeat(2000 + (c.pick % 3000))));
    // A real id only where nothing can be changed through it.
    else parts.push(bytes(realIds ? target.masterTenant.toUpperCase() : crypto.randomUUID()));
  }
  let path = Buffer.concat(parts);
  const twist = c.pathTwist;
  if (twist === 0) path = Buffer.concat([path, bytes('/..')]);
  else if (twist === 1) path = Buffer.concat([path, bytes('/%2e%2e/%2e%2e/status')]);
  else if (twist === 2) path = Buffer.concat([path, bytes('/')]);
  else if (twist === 3) path = bytes(path.toString('latin1').replace(/\//g, '//'));
  else if (twist === 4) path = bytes(path.toString('latin1').replace(/\//g, '%2f'));
  else if (twist === 5) path = bytes(path.toString('latin1').toUpperCase());
  else if (twist === 6)
    path = Buffer.concat([path, bytes('/'), bytes(TRAVERSALS[c.pick % TRAVERSALS.length]!)]);
  const prefixes = ['/0.1', '/0.1', '/0.1', '/0.1', '/0.1', '/0.1', '/api/auth/0.1', '/0.1/', '/0.2', ''];
  return { path: Buffer.concat([bytes(prefixes[c.prefix]!), path]), withId };
}

function queryOf(c: Choices): Buffer {
  if (c.query.length === 0) return Buffer.alloc(0);
  const parts = c.query.map(([key, value, how]) => {
    if (how === 0)
      return Buffer.concat([bytes(`${key}=`), INVALID_UTF8[value.length % INVALID_UTF8.length]!]);
    if (how === 1) return bytes(`${key}=%ff%fe%c0%af`);
    if (how === 2) return bytes(`${key}=${NUMBER_LITERALS[value.length % NUMBER_LITERALS.length]}`);
    if (how === 3) return bytes(`${key}=${'9'.repeat(400)}`);
    if (how === 4) return bytes(`${key}`);
    if (how === 5) return bytes(`${key}=${encode(value, true)}&${key}=${encode(value, false)}`);
    return bytes(`${percent(key)}=${encode(value, false)}`);
  });
  const joined: Buffer[] = [bytes('?')];
  for (const [i, part] of parts.entries()) joined.push(...(i ? [bytes('&'), part] : [part]));
  return Buffer.concat(joined);
}

/** `depth` levels of nesting, written without recursion. */
const deep = (depth: number, object: boolean) =>
  object ? `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}` : `${'['.repeat(depth)}${']'.repeat(depth)}`;

function bodyOf(
  c: Choices,
  mustFail: boolean,
  freeForm = false,
): { body: Buffer | null; contentType: string | null } {
  const json = 'application/json';
  const object = () => {
    const fields: Record<string, unknown> = {};
    for (const [key, value] of c.fields) fields[key] = value;
    if (mustFail) for (const key of REQUIRED_STRINGS) fields[key] = c.pick % 2 ? 12345 : { $ne: null };
    return fields;
  };
  switch (c.body) {
    case 'none':
      return { body: null, contentType: null };
    case 'broken-json': {
      const texts = [
        '{',
        '{"a":',
        '[1,2',
        '{"a":1,}',
        "{'a':1}",
        'NaN',
        'undefined',
        '{"a":1}}',
        '',
        '\u0000',
        '{"a" 1}',
      ];
      return { body: bytes(texts[c.pick % texts.length]!), contentType: json };
    }
    case 'wrong-root': {
      // A patch (PATCH /config) is an array: arrays of non-objects are wrong for it too. A null body
      // may read as no body at all, i.e. an empty object.
      const roots = [
        '1',
        '"text"',
        'true',
        '[1, "a", null]',
        '-0',
        '1e309',
        '[[[]]]',
        ...(mustFail ? [] : ['null']),
      ];
      return { body: bytes(roots[c.pick % roots.length]!), contentType: json };
    }
    case 'object':
      return { body: bytes(JSON.stringify(object())), contentType: json };
    case 'huge-string': {
      const fields = object();
      const key = mustFail ? 'description' : (c.fields[0]?.[0] ?? 'name');
      fields[key] =
        c.garbage.repeat(Math.ceil(c.size / Math.max(1, c.garbage.length))).slice(0, c.size) || 'x';
      return { body: bytes(JSON.stringify(fields)), contentType: json };
    }
    case 'huge-number': {
      const fields = object();
      const text = JSON.stringify(fields).slice(0, -1);
      const literal = NUMBER_LITERALS[c.pick % NUMBER_LITERALS.length];
      const key = FIELDS[c.pick % FIELDS.length];
      return { body: bytes(`${text}${text.length > 1 ? ',' : ''}"${key}": ${literal}}`), contentType: json };
    }
    case 'deep':
      // An object of unknown fields could be a valid creation: an admin's writes nest arrays.
      return { body: bytes(deep(10_000, (!mustFail || freeForm) && c.pick % 2 === 0)), contentType: json };
    case 'invalid-utf8': {
      const bad = INVALID_UTF8[c.pick % INVALID_UTF8.length]!;
      const wrong = REQUIRED_STRINGS.map((key) => `"${key}": 1, `).join('');
      const text = mustFail ? `{${wrong}"description": "` : '{"username": "';
      return { body: Buffer.concat([bytes(text), bad, bytes('"}')]), contentType: json };
    }
    case 'multipart': {
      const boundary = c.pick % 3 === 0 ? 'b0undary' : '';
      const parts = [
        `--b0undary\r\nContent-Disposition: form-data; name="metadata"; filename="m.xml"\r\n\r\n<EntityDescriptor ${c.garbage}\r\n--b0undary--\r\n`,
        `--b0undary\r\nContent-Disposition: form-data; name="domain_uuid"\r\n\r\n${c.garbage}\r\n--b0undary\r\n`,
        `--wrong\r\n\r\n\r\n`,
        `--b0undary\r\nContent-Disposition: form-data; name="metadata"; filename="x"\r\n\r\n${'A'.repeat(c.size)}`,
        `--b0undary\r\nContent-Disposition: form-data\r\n\r\n--b0undary--`,
        '--b0undary--\r\n',
      ];
      return {
        body: Buffer.concat([
          bytes(parts[c.pick % parts.length]!),
          INVALID_UTF8[c.size % INVALID_UTF8.length]!,
        ]),
        contentType: `multipart/form-data${boundary ? `; boundary=${boundary}` : c.pick % 2 ? '; boundary=' : ''}`,
      };
    }
    case 'form': {
      const text = `SAMLResponse=${percent(c.garbage)}&RelayState=%ff%fe&SAMLResponse=${'QUFB'.repeat(c.pick % 200)}`;
      return { body: bytes(text), contentType: 'application/x-www-form-urlencoded' };
    }
    case 'oversize':
      return { body: Buffer.alloc(1_100_000, 0x61), contentType: json };
  }
}

const basicOf = (login: string, password: string) =>
  `Basic ${Buffer.from(`${login}:${password}`, 'utf8').toString('base64')}`;

/** Builds one request from the choices fast-check made. */
export function buildRequest(c: Choices, target: Target): FuzzRequest {
  const route = target.routes[c.route % target.routes.length]!;
  let method = route.method;
  if (c.methodTwist < 4) method = ['PROPFIND', 'get', 'TRACE', 'CONNECT'][c.methodTwist]!;
  else if (c.methodTwist < 8) method = ['GET', 'POST', 'PUT', 'DELETE'][c.methodTwist - 4]!;
  const mutating =
    !['GET', 'HEAD', 'OPTIONS'].includes(method.toUpperCase()) || MUTATING_GET.test(route.path);
  const { path, withId } = pathOf(route, c, target, !mutating);

  // X-Auth-Token: the admin's working token only where the request cannot succeed anyway.
  const adminAllowed = !MUTATING_GET.test(route.path);
  const tokens: string[][] = [
    [],
    [],
    [crypto.randomUUID()],
    [c.garbage.replace(/[\r\n]/g, '')],
    ['x'.repeat(3000)],
    [target.adminToken, crypto.randomUUID()],
    [crypto.randomUUID(), target.adminToken],
    [''],
  ];
  const admin = adminAllowed && c.auth >= 8;
  // Duplicated X-Auth-Token headers with the admin's among them: either may be the one read.
  const authTokens = admin ? [target.adminToken] : adminAllowed ? tokens[c.auth % tokens.length]! : [];
  const workingAdmin = authTokens.includes(target.adminToken);
  const mustFail = workingAdmin && mutating && !(withId && route.idParam);
  const structural = mustFail && FREE_FORM.test(route.path);
  const kind: BodyKind =
    c.length === 19 && c.pick % 7 === 0
      ? 'oversize'
      : structural && !['broken-json', 'wrong-root', 'deep', 'oversize'].includes(c.body)
        ? 'broken-json'
        : c.body;
  const { body, contentType: naturalType } = bodyOf({ ...c, body: kind }, mustFail, structural);

  // Structural bodies only for an admin's writes without an id: an object could be a valid creation.
  let finalBody = body;
  if (mustFail && (kind === 'none' || kind === 'form')) finalBody = bytes('{');

  const headers: [string, string | Buffer][] = [['Host', '127.0.0.1']];
  for (const token of authTokens) headers.push(['X-Auth-Token', token]);
  if (c.tenant === 1) headers.push(['Wazo-Tenant', crypto.randomUUID()]);
  else if (c.tenant === 2) headers.push(['Wazo-Tenant', c.garbage.replace(/[\r\n]/g, '')]);
  else if (c.tenant === 3) headers.push(['Wazo-Tenant', target.masterTenant]);
  else if (c.tenant === 4)
    headers.push(['Wazo-Tenant', target.masterTenant], ['Wazo-Tenant', crypto.randomUUID()]);
  else if (c.tenant === 5) headers.push(['Wazo-Tenant', INVALID_UTF8[c.pick % INVALID_UTF8.length]!]);
  if (c.basic < 2 && !workingAdmin) {
    // A garbage login costs a real hash verification: a few of them only.
    headers.push(['Authorization', basicOf(c.garbage || 'x', INJECTIONS[c.pick % INJECTIONS.length]!)]);
  } else if (c.basic < 5) {
    const values = [
      'Basic',
      'Basic !!!',
      'Bearer x',
      `Basic ${Buffer.from('nocolon').toString('base64')}`,
      'Basic Og==',
    ];
    headers.push(['Authorization', values[c.pick % values.length]!]);
  }
  if (c.basic === 5) headers.push(['X-Forwarded-For', c.garbage.replace(/[\r\n]/g, '')]);
  if (c.basic === 6)
    headers.push(['Origin', 'http://evil.example'], ['Access-Control-Request-Method', 'DELETE']);
  if (c.basic === 7)
    headers.push(
      ['Wazo-Session-Type', 'mobile'],
      ['User-Agent', INJECTIONS[c.pick % INJECTIONS.length]!.replace(/[\r\n]/g, '')],
    );

  const type = c.contentType;
  if (type < 12 && naturalType) headers.push(['Content-Type', naturalType]);
  else if (type === 12) headers.push(['Content-Type', 'text/plain']);
  else if (type === 13) headers.push(['Content-Type', 'application/json; charset=latin1']);
  else if (type === 14) headers.push(['Content-Type', 'application/json'], ['Content-Type', 'text/xml']);
  else if (type === 15) headers.push(['Content-Type', 'multipart/form-data']);
  else if (type === 16) headers.push(['Content-Type', INVALID_UTF8[c.pick % INVALID_UTF8.length]!]);
  else if (type === 17 && naturalType) headers.push(['Content-Type', naturalType.toUpperCase()]);

  // Lengths that lie are framing errors: the body must still be invalid whatever part is read.
  let mayClose = false;
  let halfClose = false;
  const data = finalBody ?? Buffer.alloc(0);
  const exact = String(data.length);
  if (c.length < 14) {
    if (finalBody) headers.push(['Content-Length', exact]);
  } else if (c.length === 14) {
    headers.push(['Content-Length', String(data.length + 50)]);
    mayClose = halfClose = true;
  } else if (c.length === 15 && data.length > 1) {
    headers.push(['Content-Length', String(Math.floor(data.length / 2))]);
    mayClose = true;
  } else if (c.length === 16) {
    // Where the body ends is ambiguous: refused with a 400 before anything is read (RFC 9112 §6.3).
    headers.push(['Content-Length', exact], ['Content-Length', String(data.length + 1)]);
  } else if (c.length === 17) {
    headers.push(['Content-Length', ['-1', 'abc', '99999999999999999999', '1e3', ' 5'][c.pick % 5]!]);
    mayClose = true;
  } else if (c.length === 18 && finalBody) {
    headers.push(['Transfer-Encoding', 'chunked']);
  }
  const chunked = headers.some(([name]) => name === 'Transfer-Encoding') && finalBody;
  const wire = chunked
    ? Buffer.concat([bytes(`${data.length.toString(16)}\r\n`), data, bytes('\r\n0\r\n\r\n')])
    : finalBody;
  const request = assemble(method, path, queryOf(c), headers, wire, route, c, mayClose, halfClose);
  if (c.length === 16) request.expectedStatus = 400;
  return request;
}

/** `rest_api.max_body_size` as the fuzzed server runs with it (the default). */
const DEFAULT_MAX_BODY_SIZE = configSchema.parse({}).rest_api.max_body_size;

function assemble(
  method: string,
  path: Buffer,
  query: Buffer,
  headers: [string, string | Buffer][],
  body: Buffer | null,
  route: ApiRoute,
  c: Choices,
  mayClose: boolean,
  halfClose: boolean,
): FuzzRequest {
  const lines: Buffer[] = [bytes(`${method} `), path, query, bytes(' HTTP/1.1\r\n')];
  const start = lines.length;
  for (const [name, value] of headers)
    lines.push(bytes(`${name}: `), typeof value === 'string' ? bytes(value) : value, bytes('\r\n'));
  lines.push(bytes('Connection: close\r\n\r\n'));
  // uWebSockets.js closes the connection when the request head passes its 4 kB limit.
  const oversizedHead = Buffer.concat(lines.slice(0, start + headers.length * 3 + 1)).length > 4000;
  if (body) lines.push(body);
  // Raw bytes in the request line or headers may be refused by the HTTP parser: closing is its answer.
  const rawBytes = /[^\x20-\x7e]/.test(Buffer.concat([path, query]).toString('latin1'));
  // Refused by uWebSockets.js's parser before the application sees them: it closes the connection.
  const unparsed = !PARSED_METHODS.has(method) || path[0] !== 0x2f;
  // Control characters in a header value (RFC 9110 §5.5 allows none but HTAB): uWS's parser stops
  // there and waits for more, then its idle timeout closes the connection.
  const controlInHeader = headers.some(([, v]) => typeof v === 'string' && hasControlCharacter(v));
  // A body over the limit is answered 413 while the client is still sending it, and the connection closed:
  // the unread bytes make the kernel reset it, which may reach the client before the 413 does.
  const oversizedBody = body !== null && body.length > DEFAULT_MAX_BODY_SIZE;
  // No Content-Length for a body: its bytes are read as a next request, which the parser refuses.
  const unframed =
    body !== null && !headers.some(([name]) => /^(content-length|transfer-encoding)$/i.test(name));
  return {
    label: `${route.method} ${route.path} [${c.body}${c.length >= 14 ? ` length#${c.length}` : ''}]`,
    bytes: Buffer.concat(lines),
    mayClose:
      mayClose ||
      rawBytes ||
      unparsed ||
      controlInHeader ||
      unframed ||
      oversizedHead ||
      oversizedBody ||
      headers.some(([, v]) => typeof v !== 'string'),
    halfClose,
  };
}

function hasControlCharacter(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if ((code < 0x20 && code !== 0x09) || code === 0x7f) return true;
  }
  return false;
}

export const requestChoices = choices;
