// POST /users (users.md) and the other invalid-data / legacy bodies: groups, tenants, policies, passwords.
import t from 'tap';
import { groupPostSchema } from '../../src/groups/schemas.js';
import { tenantPostSchema } from '../../src/tenants/schemas.js';
import { passwordChangeSchema, userPostSchema } from '../../src/users/schemas.js';
import {
  type ErrorDict,
  field,
  firstError,
  firstField,
  firstMessage,
  type LoadResult,
  length,
  range,
  regexp,
  schema,
} from '../../src/validation/index.js';
import { EMPTY_ADDRESS, INVALID_DOMAINS } from '../tenants/helpers.js';

// The route's own schema (src/users/schemas.ts): upstream's UserPostSchema field order.
const userPost = userPostSchema;

const errorsOf = <O>(result: LoadResult<O>): ErrorDict => {
  if (result.ok) throw new Error(`expected a failure, got ${JSON.stringify(result.value)}`);
  return result.errors;
};

const USER_DEFAULTS = { username: null, firstname: null, lastname: null, purpose: 'user', enabled: true };

t.test('POST /users: falsy bodies create a user with every field defaulted', async (t) => {
  for (const body of [null, false, [], {}, 0, '']) {
    t.same(userPost.load(body), { ok: true, value: USER_DEFAULTS }, JSON.stringify(body));
  }
  const result = userPost.load({});
  t.ok(
    result.ok &&
      !('uuid' in result.value) &&
      !('password' in result.value) &&
      !('email_address' in result.value),
  );
});

t.test('POST /users: non-object bodies', async (t) => {
  for (const body of [['a'], 'abc', 5, true]) {
    const errors = errorsOf(userPost.load(body));
    t.same(errors, { _schema: ['Invalid input type.'] });
    t.same(firstError(errors), {
      field: '_schema',
      message: 'Invalid input type.',
      details: { _schema: { message: 'Invalid input type.' } },
    });
  }
});

t.test('POST /users: a full valid body', async (t) => {
  t.same(
    userPost.load({
      uuid: 'F0E1D2C3-B4A5-4697-8899-AABBCCDDEEFF',
      username: 'alice',
      password: 's3cret',
      firstname: 'Alice',
      lastname: 'Liddell',
      email_address: 'Alice@Example.com',
      purpose: 'external_api',
      authentication_method: 'native',
      enabled: false,
      tenant_uuid: 'ignored',
    }),
    {
      ok: true,
      value: {
        username: 'alice',
        firstname: 'Alice',
        lastname: 'Liddell',
        purpose: 'external_api',
        authentication_method: 'native',
        enabled: false,
        uuid: 'f0e1d2c3-b4a5-4697-8899-aabbccddeeff',
        password: 's3cret',
        email_address: 'Alice@Example.com',
      },
    },
  );
});

t.test('POST /users: null accepted for username, password, firstname, lastname, email_address', async (t) => {
  t.same(
    userPost.load({ username: null, password: null, firstname: null, lastname: null, email_address: null }),
    { ok: true, value: { ...USER_DEFAULTS, password: null, email_address: null } },
  );
});

const LENGTH_1_256 = {
  constraint_id: 'length',
  constraint: { min: 1, max: 256 },
  message: 'Length must be between 1 and 256.',
};

t.test('POST /users: the field errors of users.md', async (t) => {
  const cases: [Record<string, unknown>, ErrorDict, string][] = [
    [{ username: 'x'.repeat(257) }, { username: [LENGTH_1_256] }, 'Length must be between 1 and 256.'],
    [{ username: '' }, { username: [LENGTH_1_256] }, 'Length must be between 1 and 256.'],
    [
      { username: 42 },
      { username: { message: 'Not a valid string.', constraint_id: 'type', constraint: 'string' } },
      'Not a valid string.',
    ],
    [
      { password: '' },
      {
        password: [
          {
            constraint_id: 'length',
            constraint: { min: 1, max: null },
            message: 'Shorter than minimum length 1.',
          },
        ],
      },
      'Shorter than minimum length 1.',
    ],
    [
      { purpose: 'admin' },
      {
        purpose: [
          {
            constraint_id: 'enum',
            constraint: { choices: ['user', 'internal', 'external_api'] },
            message: 'Must be one of: user, internal, external_api.',
          },
        ],
      },
      'Must be one of: user, internal, external_api.',
    ],
    [
      { email_address: 'not-an-email' },
      {
        email_address: [
          { message: 'Not a valid email address.', constraint_id: 'type', constraint: 'email' },
        ],
      },
      'Not a valid email address.',
    ],
    [
      { email_address: 42 },
      {
        email_address: { message: 'Not a valid email address.', constraint_id: 'type', constraint: 'email' },
      },
      'Not a valid email address.',
    ],
    [
      { enabled: 'maybe' },
      { enabled: { message: 'Not a valid boolean.', constraint_id: 'type', constraint: 'boolean' } },
      'Not a valid boolean.',
    ],
    [
      { uuid: 'not-a-uuid' },
      { uuid: { message: 'Not a valid UUID.', constraint_id: 'type', constraint: 'uuid' } },
      'Not a valid UUID.',
    ],
    [
      { authentication_method: null },
      {
        authentication_method: {
          message: 'Field may not be null.',
          constraint_id: 'not_null',
          constraint: 'not_null',
        },
      },
      'Field may not be null.',
    ],
    [
      { purpose: null },
      { purpose: { message: 'Field may not be null.', constraint_id: 'not_null', constraint: 'not_null' } },
      'Field may not be null.',
    ],
    [
      { enabled: null },
      { enabled: { message: 'Field may not be null.', constraint_id: 'not_null', constraint: 'not_null' } },
      'Field may not be null.',
    ],
  ];
  for (const [body, expected, message] of cases) {
    const errors = errorsOf(userPost.load(body as { [key: string]: null }));
    t.same(errors, expected, JSON.stringify(body).slice(0, 60));
    t.equal(firstMessage(errors), message);
  }
  for (const value of [true, 42, [], ['native'], {}]) {
    t.same(errorsOf(userPost.load({ authentication_method: value })), {
      authentication_method: { message: 'Not a valid string.', constraint_id: 'type', constraint: 'string' },
    });
  }
  // Any other string passes the schema: the route answers "Invalid authentication method <v>".
  for (const method of ['', 'LDAP', 'bogus']) {
    const result = userPost.load({ authentication_method: method });
    t.ok(result.ok && result.value.authentication_method === method);
  }
});

t.test('POST /users: invalid-data details are the first field only, unwrapped', async (t) => {
  const errors = errorsOf(userPost.load({ enabled: 'maybe', username: '', uuid: 'x', purpose: 'admin' }));
  t.strictSame(Object.keys(errors), ['username', 'purpose', 'enabled', 'uuid'], 'schema field order');
  const first = firstError(errors);
  t.equal(first.field, 'username');
  t.equal(first.message, 'Length must be between 1 and 256.');
  t.same(first.details, { username: LENGTH_1_256 });
  t.equal(
    JSON.stringify(first.details),
    '{"username":{"constraint_id":"length","constraint":{"min":1,"max":256},"message":"Length must be between 1 and 256."}}',
  );
  t.equal(firstField(errors), 'username');
});

t.test('booleans: the accepted spellings', async (t) => {
  const flags = schema({ enabled: field.boolean() });
  for (const value of [true, 1, 'true', 'True', 'TRUE', 't', 'T', 'yes', 'Y', 'on', 'ON', '1']) {
    t.same(flags.load({ enabled: value }), { ok: true, value: { enabled: true } }, JSON.stringify(value));
  }
  for (const value of [false, 0, 'false', 'False', 'f', 'no', 'N', 'off', 'Off', '0']) {
    t.same(flags.load({ enabled: value }), { ok: true, value: { enabled: false } }, JSON.stringify(value));
  }
  for (const value of ['maybe', '', '2', 2, 0.5, [], {}, [true]]) {
    t.notOk(flags.load({ enabled: value }).ok, JSON.stringify(value));
  }
});

t.test('uuid: Python uuid.UUID() forms, output canonical lowercase', async (t) => {
  const ids = schema({ uuid: field.uuid() });
  const canonical = '0a1b2c3d-4e5f-4a6b-8c7d-8e9fa0b1c2d3';
  for (const value of [
    canonical,
    canonical.toUpperCase(),
    `{${canonical}}`,
    `urn:uuid:${canonical}`,
    canonical.replaceAll('-', ''),
  ]) {
    t.same(ids.load({ uuid: value }), { ok: true, value: { uuid: canonical } }, value);
  }
  for (const value of [
    '',
    'not-a-uuid',
    `${canonical}0`,
    canonical.slice(1),
    'g'.repeat(32),
    42,
    true,
    [canonical],
  ]) {
    t.same(
      errorsOf(ids.load({ uuid: value })),
      { uuid: { message: 'Not a valid UUID.', constraint_id: 'type', constraint: 'uuid' } },
      JSON.stringify(value),
    );
  }
});

t.test('email: marshmallow address check', async (t) => {
  const addresses = schema({ email: field.email() });
  for (const value of [
    'alice@example.com',
    'a.b+c@sub.example.co.uk',
    'root@localhost',
    'élise@exemple.fr',
    'x@bücher.de',
    '"quoted@user"@example.com',
    'a@[192.168.0.1]',
    'a@b-c.io',
  ]) {
    t.ok(addresses.load({ email: value }).ok, value);
  }
  for (const value of [
    '',
    'not-an-email',
    '@example.com',
    'a@',
    'a@b',
    'a..b@example.com',
    'a b@example.com',
    'a@-x.com',
    '"quoted user"@example.com',
  ]) {
    t.same(
      errorsOf(addresses.load({ email: value })),
      { email: [{ message: 'Not a valid email address.', constraint_id: 'type', constraint: 'email' }] },
      value,
    );
  }
});

t.test('PUT /users/{u}/password: required fields', async (t) => {
  const passwordChange = passwordChangeSchema;
  const missing = errorsOf(passwordChange.load({}));
  t.equal(
    JSON.stringify(missing),
    '{"old_password":{"message":"Missing data for required field.","constraint_id":"required","constraint":"required"},' +
      '"new_password":{"message":"Missing data for required field.","constraint_id":"required","constraint":"required"}}',
  );
  t.same(firstError(missing).details, {
    old_password: {
      message: 'Missing data for required field.',
      constraint_id: 'required',
      constraint: 'required',
    },
  });
  const empty = errorsOf(passwordChange.load({ old_password: 'x', new_password: '' }));
  t.equal(firstField(empty), 'new_password');
  t.equal(firstMessage(empty), 'Shorter than minimum length 1.');
  t.same(passwordChange.load({ old_password: 'a', new_password: 'b' }), {
    ok: true,
    value: { old_password: 'a', new_password: 'b' },
  });
});

t.test('POST /groups: required name, slug length and regex', async (t) => {
  const groupPost = groupPostSchema;
  const constraintOf = (body: Record<string, unknown>, key: string) =>
    (
      firstError(errorsOf(groupPost.load(body as { [key: string]: null }))).details[key] as {
        constraint_id: string;
      }
    ).constraint_id;
  t.equal(constraintOf({}, 'name'), 'required');
  t.equal(constraintOf({ name: null }, 'name'), 'not_null');
  t.equal(constraintOf({ name: 42 }, 'name'), 'type');
  t.equal(constraintOf({ name: '' }, 'name'), 'length');
  t.equal(constraintOf({ name: 'x'.repeat(129) }, 'name'), 'length');
  t.equal(constraintOf({ name: 'g', slug: 'bad slug' }, 'slug'), 'regex');
  t.same(errorsOf(groupPost.load({ name: 'g', slug: 'bad slug' })), {
    slug: [
      {
        constraint_id: 'regex',
        constraint: '^[a-zA-Z0-9_-]+$',
        message: 'String does not match expected pattern.',
      },
    ],
  });
  // Every validator runs: an empty slug fails both.
  t.same(errorsOf(groupPost.load({ name: 'g', slug: '' })), {
    slug: [
      {
        constraint_id: 'length',
        constraint: { min: 1, max: 80 },
        message: 'Length must be between 1 and 80.',
      },
      {
        constraint_id: 'regex',
        constraint: '^[a-zA-Z0-9_-]+$',
        message: 'String does not match expected pattern.',
      },
    ],
  });
  t.same(groupPost.load({ name: 'g' }), { ok: true, value: { name: 'g', slug: null } });
  t.same(groupPost.load({ name: 'g', slug: 'Ok_slug-1' }), {
    ok: true,
    value: { name: 'g', slug: 'Ok_slug-1' },
  });
  t.ok(groupPost.load({ name: 'g', slug: 'trailing\n' }).ok, "Python's $ matches before a final newline");
});

t.test('POST /policies: legacy "Invalid value supplied for field: <field>"', async (t) => {
  const policyPost = schema({
    name: field
      .string()
      .validate(length({ min: 1, max: 80 }))
      .required(),
    slug: field.string().validate(length({ min: 1, max: 80 }), regexp('^[a-zA-Z0-9_-]+$')),
    description: field.string().default(null),
    acl: field.list(field.string()).default([]),
    shared: field.boolean().default(false),
  });
  const fieldOf = (body: unknown) => firstField(errorsOf(policyPost.load(body as null)));
  t.equal(fieldOf(null), 'name', 'a null body counts as {} and fails on name');
  t.equal(fieldOf({}), 'name');
  t.equal(fieldOf({ name: 42 }), 'name');
  t.equal(fieldOf({ name: '' }), 'name');
  t.equal(fieldOf({ name: 'x'.repeat(81) }), 'name');
  for (const slug of ['', 'has space', 'dots.not.allowed', 'x'.repeat(81)])
    t.equal(fieldOf({ name: 'p', slug }), 'slug');
  t.equal(fieldOf({ name: 'p', description: 42 }), 'description');
  t.equal(fieldOf({ name: 'p', acl: 'a.b' }), 'acl');
  t.equal(fieldOf({ name: 'p', acl: [42] }), 'acl');
  t.equal(fieldOf({ name: 'p', shared: 'perhaps' }), 'shared');
  for (const body of [['a'], 5, 'abc']) t.equal(fieldOf(body), '_schema');
  const loaded = policyPost.load({ name: 'p', description: null });
  t.same(loaded, { ok: true, value: { name: 'p', description: null, acl: [], shared: false } });
  // Defaults are copies: mutating one result does not leak into the next.
  if (loaded.ok) loaded.value.acl.push('leak');
  t.same(policyPost.load({ name: 'p' }), {
    ok: true,
    value: { name: 'p', description: null, acl: [], shared: false },
  });
});

t.test('POST /tenants: nested address and domain_names items', async (t) => {
  const DOMAIN_RE = '^(?=.{1,253}\\.?$)(?:(?!(-|_)|[^.]+_)[A-Za-z0-9-_]{1,}(?<!-)(?:\\.|$)){2,63}$';
  // The route's own schema (src/tenants/schemas.ts); DOMAIN_RE above is the expected constraint text.
  const tenantPost = tenantPostSchema;

  const result = tenantPost.load({
    name: 'Acme',
    domain_names: ['wazo.io', 'a.b.example.com'],
    address: { city: 'Québec' },
  });
  t.same(result, {
    ok: true,
    value: {
      uuid: null,
      name: 'Acme',
      slug: null,
      contact: null,
      phone: null,
      default_authentication_method: 'native',
      domain_names: ['wazo.io', 'a.b.example.com'],
      address: { ...EMPTY_ADDRESS, city: 'Québec' },
    },
  });
  t.same(tenantPost.load({ address: [] }), tenantPost.load({}), 'a falsy address is {}');

  const zip = errorsOf(tenantPost.load({ address: { zip_code: 'x'.repeat(17) } }));
  t.same(zip, {
    address: {
      zip_code: [
        {
          constraint_id: 'length',
          constraint: { min: 1, max: 16 },
          message: 'Length must be between 1 and 16.',
        },
      ],
    },
  });
  t.same(firstError(zip), {
    field: 'address',
    message: 'Length must be between 1 and 16.',
    details: {
      address: {
        zip_code: {
          constraint_id: 'length',
          constraint: { min: 1, max: 16 },
          message: 'Length must be between 1 and 16.',
        },
      },
    },
  });
  t.same(errorsOf(tenantPost.load({ address: null })), {
    address: { message: 'Field may not be null.', constraint_id: 'not_null', constraint: 'not_null' },
  });
  t.same(errorsOf(tenantPost.load({ address: 'somewhere' })), {
    address: { _schema: ['Invalid input type.'] },
  });
  t.equal(firstMessage(errorsOf(tenantPost.load({ address: 'somewhere' }))), 'Invalid input type.');

  for (const domain of INVALID_DOMAINS) {
    const errors = errorsOf(tenantPost.load({ domain_names: ['ok.example.com', domain] }));
    t.same(
      errors,
      {
        domain_names: {
          1: [
            {
              constraint_id: 'regex',
              constraint: DOMAIN_RE,
              message: 'String does not match expected pattern.',
            },
          ],
        },
      },
      domain,
    );
    t.same(firstError(errors).details, {
      domain_names: {
        1: {
          constraint_id: 'regex',
          constraint: DOMAIN_RE,
          message: 'String does not match expected pattern.',
        },
      },
    });
  }
  for (const value of [null, true, 'wazo.io', 5, { a: 1 }]) {
    const errors = errorsOf(tenantPost.load({ domain_names: value }));
    t.ok(
      ['type', 'not_null'].includes(
        (firstError(errors).details.domain_names as { constraint_id: string }).constraint_id,
      ),
    );
  }
  t.same(errorsOf(tenantPost.load({ slug: 'bad-slug' })), {
    slug: [
      {
        constraint_id: 'regex',
        constraint: '^[a-zA-Z0-9_]+$',
        message: 'String does not match expected pattern.',
      },
    ],
  });
  t.same(errorsOf(tenantPost.load({ slug: 'x'.repeat(11) })), {
    slug: [
      {
        constraint_id: 'length',
        constraint: { min: 1, max: 10 },
        message: 'Length must be between 1 and 10.',
      },
    ],
  });
  t.equal(firstMessage(errorsOf(tenantPost.load({ contact: 'nope' }))), 'Not a valid UUID.');
  t.equal(firstMessage(errorsOf(tenantPost.load({ phone: '' }))), 'Length must be between 1 and 32.');
});

t.test('the output types follow the declarations', async (t) => {
  const result = userPost.load({ username: 'bob' });
  if (!result.ok) throw new Error('unexpected');
  // Compile-time checks: required/defaulted fields are present, optional ones may be absent.
  const username: string | null = result.value.username;
  const purpose: 'user' | 'internal' | 'external_api' = result.value.purpose;
  const enabled: boolean = result.value.enabled;
  const method: string | undefined = result.value.authentication_method;
  const password: string | null | undefined = result.value.password;
  t.same([username, purpose, enabled, method, password], ['bob', 'user', true, undefined, undefined]);
});

t.test('validator wordings and the strict integer', async (t) => {
  const s = schema({
    count: field.integer().validate(range({ min: 0 })),
    small: field.integer().validate(range({ max: 10 })),
    open: field.integer().validate(range({ min: 0, max: 10, minInclusive: false, maxInclusive: false })),
    code: field.string().validate(length({ max: 3 })),
    pin: field.string().validate(length({ equal: 4 })),
    big: field.lenientInteger(),
  });
  t.same(errorsOf(s.load({ count: -1 })), {
    count: [
      { constraint_id: 'range', constraint: { min: 0 }, message: 'Must be greater than or equal to 0.' },
    ],
  });
  t.same(errorsOf(s.load({ small: 11 })), {
    small: [
      { constraint_id: 'range', constraint: { max: 10 }, message: 'Must be less than or equal to 10.' },
    ],
  });
  t.same(errorsOf(s.load({ open: 10 })), {
    open: [
      {
        constraint_id: 'range',
        constraint: { min: 0, max: 10 },
        message: 'Must be greater than 0 and less than 10.',
      },
    ],
  });
  t.same(errorsOf(s.load({ code: 'abcd' })), {
    code: [
      {
        constraint_id: 'length',
        constraint: { min: null, max: 3 },
        message: 'Longer than maximum length 3.',
      },
    ],
  });
  t.ok(s.load({ code: '😀😀😀' }).ok, 'lengths count code points, as Python does');
  t.same(errorsOf(s.load({ pin: '123' })), {
    pin: [{ constraint_id: 'length', constraint: { equal: 4 }, message: 'Length must be 4.' }],
  });
  for (const count of [1.5, '1', true, null])
    t.notOk(s.load({ count }).ok, `strict integer refuses ${count}`);
  t.same(errorsOf(s.load({ count: '1' })), {
    count: { message: 'Not a valid integer.', constraint_id: 'type', constraint: 'integer' },
  });
  t.same(errorsOf(s.load(JSON.parse('{"big": 1e400}'))), { big: ['Number too large.'] });
  t.same(s.load({ big: '1_000' }), { ok: true, value: { big: 1000 } }, "Python's int() accepts underscores");
  t.same(s.load({ big: -30.9 }), { ok: true, value: { big: -30 } }, 'truncated toward zero');
  t.ok(Object.is((s.load({ big: -0.5 }) as { value: { big: number } }).value.big, 0), 'no negative zero');
});
