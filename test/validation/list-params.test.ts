import t from 'tap';
import { USER_LIST } from '../../src/users/schemas.js';
import {
  type ListEndpoint,
  parseBoolean,
  parseListParams,
  searchPattern,
} from '../../src/validation/index.js';

const USERS = USER_LIST;
const SESSIONS: ListEndpoint = { sortable: ['mobile'], filters: [] };
const TENANTS: ListEndpoint = {
  sortable: ['name', 'slug'],
  defaultOrder: 'name',
  filters: ['uuid', 'uuids', 'name', 'slug', 'domain_name'],
  multi: { uuids: { max: 25 } },
};
const GROUPS: ListEndpoint = {
  sortable: ['name', 'slug', 'uuid', 'read_only'],
  defaultOrder: 'name',
  filters: ['uuid', 'name', 'slug', 'user_uuid', 'read_only', 'policy_uuid', 'policy_slug'],
  booleans: ['read_only'],
};

const parse = (query: string, endpoint: ListEndpoint = USERS) =>
  parseListParams(new URLSearchParams(query), endpoint);
const errorsOf = (query: string, endpoint: ListEndpoint = USERS) => {
  const result = parse(query, endpoint);
  if (result.ok) throw new Error(`expected a failure for ${query}`);
  return result.errors;
};

const LIMIT_TYPE = { message: 'Not a valid integer.', constraint_id: 'type', constraint: 'integer' };
const RANGE_MIN_0 = [
  { constraint_id: 'range', constraint: { min: 0 }, message: 'Must be greater than or equal to 0.' },
];

t.test('defaults', async (t) => {
  t.same(parse(''), {
    ok: true,
    params: {
      limit: null,
      offset: 0,
      order: 'username',
      direction: 'asc',
      search: null,
      searchPattern: null,
      recurse: false,
      filters: {},
      multi: {},
      booleans: {},
    },
  });
  const sessions = parse('', SESSIONS);
  t.ok(sessions.ok && sessions.params.order === null, 'no default order');
});

t.test('valid values', async (t) => {
  const result = parse('limit=10&offset=5&order=lastname&direction=desc&search=Alice&recurse=true');
  t.same(result.ok && result.params, {
    limit: 10,
    offset: 5,
    order: 'lastname',
    direction: 'desc',
    search: 'Alice',
    searchPattern: '%Alice%',
    recurse: true,
    filters: {},
    multi: {},
    booleans: {},
  });
  const zero = parse('limit=0&offset=0');
  t.ok(zero.ok && zero.params.limit === 0 && zero.params.offset === 0, 'limit=0 is valid');
  const spaced = parse('limit=%205&offset=%2B3');
  t.ok(
    spaced.ok && spaced.params.limit === 5 && spaced.params.offset === 3,
    "Python's int() accepts ' 5', '+3'",
  );
  const repeated = parse('limit=2&limit=abc');
  t.ok(repeated.ok && repeated.params.limit === 2, 'the first value of a repeated key is used');
});

t.test('limit', async (t) => {
  for (const limit of ['abc', '1.5', '', '1e2', 'true']) {
    const errors = errorsOf(`limit=${encodeURIComponent(limit)}`);
    t.same(errors, { limit: LIMIT_TYPE }, limit);
    t.equal(
      JSON.stringify(errors),
      '{"limit":{"message":"Not a valid integer.","constraint_id":"type","constraint":"integer"}}',
      'a type error is an object (message first)',
    );
  }
  const negative = errorsOf('limit=-1');
  t.same(negative, { limit: RANGE_MIN_0 });
  t.equal(
    JSON.stringify(negative),
    '{"limit":[{"constraint_id":"range","constraint":{"min":0},"message":"Must be greater than or equal to 0."}]}',
    'a range error is a one-element list, the constraint holding only min',
  );
});

t.test('offset', async (t) => {
  t.equal(
    JSON.stringify(errorsOf('offset=-1')),
    '{"offset":[{"constraint_id":"range","constraint":{"min":0},"message":"Must be greater than or equal to 0."}]}',
  );
  t.same(errorsOf('offset=x'), {
    offset: { message: 'Not a valid integer.', constraint_id: 'type', constraint: 'integer' },
  });
});

t.test('order', async (t) => {
  const ORDER_ENUM = [
    {
      constraint_id: 'enum',
      constraint: { choices: ['username', 'firstname', 'lastname'] },
      message: 'Must be one of: username, firstname, lastname.',
    },
  ];
  for (const order of ['', 'unknown', 'Username', 'email']) {
    const errors = errorsOf(`order=${order}`);
    t.same(errors, { order: ORDER_ENUM }, JSON.stringify(order));
    t.equal(
      JSON.stringify(errors),
      '{"order":[{"constraint_id":"enum","constraint":{"choices":["username","firstname","lastname"]},' +
        '"message":"Must be one of: username, firstname, lastname."}]}',
    );
  }
  t.same(errorsOf('order=acl', SESSIONS), {
    order: [
      { constraint_id: 'enum', constraint: { choices: ['mobile'] }, message: 'Must be one of: mobile.' },
    ],
  });
  const groups = parse('order=read_only', GROUPS);
  t.ok(
    groups.ok && groups.params.order === 'read_only',
    'accepted by validation (the route answers the legacy 400)',
  );
});

t.test('direction', async (t) => {
  for (const direction of ['', 'up', 'ASC']) {
    t.same(
      errorsOf(`direction=${direction}`),
      {
        direction: [
          {
            constraint_id: 'enum',
            constraint: { choices: ['asc', 'desc'] },
            message: 'Must be one of: asc, desc.',
          },
        ],
      },
      JSON.stringify(direction),
    );
  }
});

t.test('recurse', async (t) => {
  for (const value of ['true', 'True', 'TRUE', 'tRuE', 't', 'T', 'yes', 'Yes', 'y', 'Y', 'on', 'On', '1']) {
    const result = parse(`recurse=${value}`);
    t.ok(result.ok && result.params.recurse === true, value);
  }
  for (const value of ['false', 'False', 'FALSE', 'f', 'F', 'no', 'NO', 'n', 'N', 'off', 'OFF', '0']) {
    const result = parse(`recurse=${value}`);
    t.ok(result.ok && result.params.recurse === false, value);
  }
  for (const value of ['perhaps', '2', '', ' true', 'truee']) {
    const errors = errorsOf(`recurse=${encodeURIComponent(value)}`);
    t.equal(
      JSON.stringify(errors),
      '{"recurse":{"message":"Not a valid boolean.","constraint_id":"type","constraint":"boolean"}}',
      JSON.stringify(value),
    );
  }
});

t.test('search', async (t) => {
  t.equal(searchPattern('foo bar'), '%foo%bar%');
  t.equal(searchPattern(''), '%');
  t.equal(searchPattern('foo'), '%foo%');
  t.equal(searchPattern('  foo   bar  '), '%foo%bar%');
  t.equal(searchPattern('   '), '%%');
  t.equal(searchPattern('50%_off'), '%50%_off%', 'wildcards are not escaped');
  const multi = parse('search=foo%20bar');
  t.ok(multi.ok && multi.params.search === 'foo bar' && multi.params.searchPattern === '%foo%bar%');
  const plus = parse('search=car+ol');
  t.ok(plus.ok && plus.params.searchPattern === '%car%ol%', '+ is a space in a query string');
  const empty = parse('search=');
  t.ok(empty.ok && empty.params.search === '' && empty.params.searchPattern === '%');
});

t.test('exact-match filters', async (t) => {
  const result = parse('username=alice&purpose=user&purpose=internal&unknown=x&email_address=');
  t.same(result.ok && result.params.filters, { username: 'alice', purpose: 'user', email_address: '' });
});

t.test('repeatable filters: tenants uuids', async (t) => {
  const ids = Array.from({ length: 25 }, (_, i) => `id-${i}`);
  const ok = parse(ids.map((id) => `uuids=${id}`).join('&'), TENANTS);
  t.same(ok.ok && ok.params.multi, { uuids: ids });
  t.same(ok.ok && ok.params.filters, {}, 'not repeated as a first-value filter');
  const tooMany = errorsOf([...ids, 'id-25'].map((id) => `uuids=${id}`).join('&'), TENANTS);
  t.equal(
    JSON.stringify(tooMany),
    '{"uuids":[{"constraint_id":"length","constraint":{"min":null,"max":25},"message":"Longer than maximum length 25."}]}',
  );
  const single = parse('uuid=abc&name=acme', TENANTS);
  t.same(single.ok && single.params.filters, { uuid: 'abc', name: 'acme' });
});

t.test('boolean filters read by the list schema: groups read_only', async (t) => {
  const yes = parse('read_only=true', GROUPS);
  t.same(yes.ok && yes.params.booleans, { read_only: true });
  t.same(yes.ok && yes.params.filters, {});
  const no = parse('read_only=0', GROUPS);
  t.same(no.ok && no.params.booleans, { read_only: false });
  t.same(errorsOf('read_only=perhaps', GROUPS), {
    read_only: { message: 'Not a valid boolean.', constraint_id: 'type', constraint: 'boolean' },
  });
});

t.test('every failing parameter is reported, in upstream order', async (t) => {
  const errors = errorsOf('read_only=x&recurse=x&offset=-1&limit=x&order=x&direction=x', GROUPS);
  t.strictSame(Object.keys(errors), ['direction', 'order', 'limit', 'offset', 'recurse', 'read_only']);
});

t.test('parseBoolean for filters the caller reads (tokens mobile)', async (t) => {
  t.equal(parseBoolean('true'), true);
  t.equal(parseBoolean('TRUE'), true);
  t.equal(parseBoolean('Off'), false);
  t.equal(parseBoolean('0'), false);
  t.equal(parseBoolean(1), true);
  t.equal(parseBoolean(false), false);
  t.equal(parseBoolean(''), undefined);
  t.equal(parseBoolean('perhaps'), undefined);
  t.equal(parseBoolean('2'), undefined);
  t.equal(parseBoolean(2), undefined);
  t.equal(parseBoolean(null), undefined);
  t.equal(parseBoolean(undefined), undefined);
});
