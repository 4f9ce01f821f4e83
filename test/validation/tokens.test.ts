import t from 'tap';
import { scopesCheckSchema, tokenRequestSchema } from '../../src/tokens/request-schemas.js';
import { type ErrorDict, firstMessage, type LoadResult, pythonRepr } from '../../src/validation/index.js';

// The route's own schemas (src/tokens/request-schemas.ts): POST /token (tokens.md §3) and
// POST /token/{t}/scopes/check (tokens.md §6).
const tokenRequest = tokenRequestSchema;
const scopesCheck = scopesCheckSchema;

const errorsOf = <O>(result: LoadResult<O>): ErrorDict => {
  if (result.ok) throw new Error(`expected a failure, got ${JSON.stringify(result.value)}`);
  return result.errors;
};

const INTEGER_TYPE = { message: 'Not a valid integer.', constraint_id: 'type', constraint: 'integer' };
const EXPIRATION_RANGE = [
  {
    constraint_id: 'range',
    constraint: { min: 1, max: 315360000 },
    message: 'Must be greater than or equal to 1 and less than or equal to 315360000.',
  },
];

t.test('POST /token: falsy bodies are {} and get the defaults', async (t) => {
  for (const body of [null, false, 0, '', [], {}]) {
    t.same(
      tokenRequest.load(body),
      { ok: true, value: { backend: 'wazo_user', access_type: 'online' } },
      JSON.stringify(body),
    );
  }
});

t.test('POST /token: truthy non-objects are _schema errors', async (t) => {
  for (const body of [['a'], 'abc', 5, true]) {
    const errors = errorsOf(tokenRequest.load(body));
    t.same(errors, { _schema: ['Invalid input type.'] });
    t.equal(pythonRepr(errors), "{'_schema': ['Invalid input type.']}");
  }
});

t.test('POST /token: a full valid body, unknown keys dropped', async (t) => {
  const result = tokenRequest.load({
    backend: 'ldap_user',
    expiration: 3600,
    access_type: 'offline',
    client_id: 'my-app',
    tenant_id: 'acme',
    unknown: 'dropped',
  });
  t.same(result, {
    ok: true,
    value: {
      backend: 'ldap_user',
      expiration: 3600,
      access_type: 'offline',
      client_id: 'my-app',
      tenant_id: 'acme',
    },
  });
  t.notOk(result.ok && 'unknown' in result.value);
});

t.test('POST /token: expiration is a lenient integer', async (t) => {
  const accepted: [unknown, number][] = [
    [30.9, 30],
    [100.0, 100],
    ['60', 60],
    [' 60', 60],
    [1, 1],
    [315360000, 315360000],
    [315360000.9, 315360000],
  ];
  for (const [expiration, expected] of accepted) {
    const result = tokenRequest.load({ expiration } as { expiration: number });
    t.same(
      result,
      { ok: true, value: { backend: 'wazo_user', expiration: expected, access_type: 'online' } },
      JSON.stringify(expiration),
    );
  }
});

t.test('POST /token: expiration out of range', async (t) => {
  for (const expiration of [0, -1, 315360001, 0.5]) {
    const errors = errorsOf(tokenRequest.load({ expiration }));
    t.same(errors, { expiration: EXPIRATION_RANGE }, String(expiration));
    t.strictSame(Object.keys(errors.expiration as object), ['0']);
    t.equal(
      pythonRepr(errors),
      "{'expiration': [{'constraint_id': 'range', 'constraint': {'min': 1, 'max': 315360000}, " +
        "'message': 'Must be greater than or equal to 1 and less than or equal to 315360000.'}]}",
    );
    t.equal(firstMessage(errors), 'Must be greater than or equal to 1 and less than or equal to 315360000.');
  }
});

t.test('POST /token: expiration null and wrong types', async (t) => {
  t.same(errorsOf(tokenRequest.load({ expiration: null })), {
    expiration: { message: 'Field may not be null.', constraint_id: 'not_null', constraint: 'not_null' },
  });
  t.equal(
    pythonRepr(errorsOf(tokenRequest.load({ expiration: null }))),
    "{'expiration': {'message': 'Field may not be null.', 'constraint_id': 'not_null', 'constraint': 'not_null'}}",
  );
  for (const expiration of [true, false, [1], {}, '', 'abc', '30.9', '1e2', '6 0', '0x10']) {
    const errors = errorsOf(tokenRequest.load({ expiration }));
    t.same(errors, { expiration: INTEGER_TYPE }, JSON.stringify(expiration));
    // The exact text of tokens.md §3 / conventions.md §6.6.
    t.equal(
      pythonRepr(errors),
      "{'expiration': {'message': 'Not a valid integer.', 'constraint_id': 'type', 'constraint': 'integer'}}",
    );
  }
});

t.test('POST /token: key order of type errors is message, constraint_id, constraint', async (t) => {
  const errors = errorsOf(tokenRequest.load({ expiration: 'abc' }));
  t.strictSame(Object.keys(errors.expiration as object), ['message', 'constraint_id', 'constraint']);
  t.equal(
    JSON.stringify(errors),
    '{"expiration":{"message":"Not a valid integer.","constraint_id":"type","constraint":"integer"}}',
  );
});

t.test('POST /token: access_type enum, client_id length, backend type', async (t) => {
  const accessType = errorsOf(tokenRequest.load({ access_type: 'sometimes' }));
  t.same(accessType, {
    access_type: [
      {
        constraint_id: 'enum',
        constraint: { choices: ['online', 'offline'] },
        message: 'Must be one of: online, offline.',
      },
    ],
  });
  t.equal(
    pythonRepr(accessType),
    "{'access_type': [{'constraint_id': 'enum', 'constraint': {'choices': ['online', 'offline']}, " +
      "'message': 'Must be one of: online, offline.'}]}",
  );
  t.same(errorsOf(tokenRequest.load({ access_type: 1 })), {
    access_type: { message: 'Not a valid string.', constraint_id: 'type', constraint: 'string' },
  });

  const clientId = errorsOf(tokenRequest.load({ client_id: '' }));
  t.equal(
    pythonRepr(clientId),
    "{'client_id': [{'constraint_id': 'length', 'constraint': {'min': 1, 'max': 1024}, " +
      "'message': 'Length must be between 1 and 1024.'}]}",
  );
  t.same(errorsOf(tokenRequest.load({ client_id: 'x'.repeat(1025) })), clientId);
  t.ok(tokenRequest.load({ client_id: 'x'.repeat(1024) }).ok);
  t.same(errorsOf(tokenRequest.load({ saml_session_id: '' })), {
    saml_session_id: [
      {
        constraint_id: 'length',
        constraint: { min: 1, max: 1024 },
        message: 'Length must be between 1 and 1024.',
      },
    ],
  });

  t.equal(
    pythonRepr(errorsOf(tokenRequest.load({ backend: 42 }))),
    "{'backend': {'message': 'Not a valid string.', 'constraint_id': 'type', 'constraint': 'string'}}",
  );
  t.ok(tokenRequest.load({ backend: 'no_such_backend' }).ok, 'any backend string passes');
});

t.test('POST /token: several failing fields are all reported, in field order', async (t) => {
  const errors = errorsOf(
    tokenRequest.load({ client_id: '', expiration: 0, backend: 42, refresh_token: 'r' }),
  );
  t.strictSame(Object.keys(errors), ['backend', 'expiration', 'client_id']);
  t.equal(firstMessage(errors), 'Not a valid string.');
  t.equal(
    pythonRepr(errors),
    "{'backend': {'message': 'Not a valid string.', 'constraint_id': 'type', 'constraint': 'string'}, " +
      "'expiration': [{'constraint_id': 'range', 'constraint': {'min': 1, 'max': 315360000}, " +
      "'message': 'Must be greater than or equal to 1 and less than or equal to 315360000.'}], " +
      "'client_id': [{'constraint_id': 'length', 'constraint': {'min': 1, 'max': 1024}, " +
      "'message': 'Length must be between 1 and 1024.'}]}",
    'field errors skip the cross-field rules (refresh_token without client_id is not reported)',
  );
});

t.test('POST /token: the cross-field rules', async (t) => {
  const cases: [Record<string, string>, string][] = [
    [{ access_type: 'offline' }, '"client_id" must be specified when using "access_type" is "offline"'],
    [
      { access_type: 'offline', refresh_token: 'r', client_id: 'c' },
      'cannot use the "access_type" "offline" with a refresh token',
    ],
    [{ refresh_token: 'r' }, '"client_id" must be specified when using a "refresh_token"'],
    [
      { tenant_id: 'a', domain_name: 'b.example.com' },
      '"tenant_id" and "domain_name" must be mutually exclusive',
    ],
    [
      { saml_session_id: 's', refresh_token: 'r', client_id: 'c' },
      'Cannot use a "saml_session_id" and a "refresh_token" at the same time',
    ],
  ];
  for (const [body, text] of cases) {
    const errors = errorsOf(tokenRequest.load(body));
    t.same(errors, { _schema: [text] }, text);
    t.equal(pythonRepr(errors), `{'_schema': ['${text}']}`);
    t.equal(firstMessage(errors), text);
  }
  t.equal(
    pythonRepr(errorsOf(tokenRequest.load({ refresh_token: 'r' }))),
    `{'_schema': ['"client_id" must be specified when using a "refresh_token"']}`,
    'the example of conventions.md §6.6',
  );
  // Every rule runs: two texts at once.
  t.same(errorsOf(tokenRequest.load({ access_type: 'offline', refresh_token: 'r' })), {
    _schema: [
      'cannot use the "access_type" "offline" with a refresh token',
      '"client_id" must be specified when using a "refresh_token"',
    ],
  });
  // Passing combinations.
  t.ok(tokenRequest.load({ access_type: 'offline', client_id: 'c' }).ok);
  t.ok(tokenRequest.load({ access_type: 'online', client_id: 'c' }).ok);
  t.ok(tokenRequest.load({ refresh_token: 'r', client_id: 'c' }).ok);
  t.ok(tokenRequest.load({ tenant_id: 'a' }).ok);
  t.ok(tokenRequest.load({ tenant_id: '', domain_name: 'b' }).ok, 'an empty tenant_id is not "given"');
});

t.test('POST /token/{t}/scopes/check', async (t) => {
  t.same(scopesCheck.load({ scopes: ['a.b', ''], tenant_uuid: 'x' }), {
    ok: true,
    value: { scopes: ['a.b', ''], tenant_uuid: 'x' },
  });
  t.same(scopesCheck.load({ scopes: [] }), { ok: true, value: { scopes: [], tenant_uuid: null } });
  t.same(scopesCheck.load({ scopes: ['a'], tenant_uuid: null }), {
    ok: true,
    value: { scopes: ['a'], tenant_uuid: null },
  });
  t.same(
    errorsOf(scopesCheck.load(null)),
    {
      scopes: {
        message: 'Missing data for required field.',
        constraint_id: 'required',
        constraint: 'required',
      },
    },
    'absent scopes: a 400 here (upstream answers 500)',
  );

  t.equal(
    pythonRepr(errorsOf(scopesCheck.load({ scopes: 'abc' }))),
    "{'scopes': {'message': 'Not a valid list.', 'constraint_id': 'type', 'constraint': 'list'}}",
  );
  t.same(errorsOf(scopesCheck.load({ scopes: {} })), {
    scopes: { message: 'Not a valid list.', constraint_id: 'type', constraint: 'list' },
  });
  t.equal(
    pythonRepr(errorsOf(scopesCheck.load({ scopes: null }))),
    "{'scopes': {'message': 'Field may not be null.', 'constraint_id': 'not_null', 'constraint': 'not_null'}}",
  );
  const itemType = errorsOf(scopesCheck.load({ scopes: [true] }));
  t.same(itemType, {
    scopes: { 0: { message: 'Not a valid string.', constraint_id: 'type', constraint: 'string' } },
  });
  t.equal(
    pythonRepr(itemType),
    "{'scopes': {0: {'message': 'Not a valid string.', 'constraint_id': 'type', 'constraint': 'string'}}}",
  );
  t.equal(
    pythonRepr(errorsOf(scopesCheck.load({ scopes: ['ok', null, 'ok', 3] }))),
    "{'scopes': {1: {'message': 'Field may not be null.', 'constraint_id': 'not_null', 'constraint': 'not_null'}, " +
      "3: {'message': 'Not a valid string.', 'constraint_id': 'type', 'constraint': 'string'}}}",
  );
  t.equal(pythonRepr(errorsOf(scopesCheck.load(['a']))), "{'_schema': ['Invalid input type.']}");
  t.same(errorsOf(scopesCheck.load({ scopes: [], tenant_uuid: 5 })), {
    tenant_uuid: { message: 'Not a valid string.', constraint_id: 'type', constraint: 'string' },
  });
});
