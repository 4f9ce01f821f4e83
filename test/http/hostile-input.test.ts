// Inputs the fuzz test found reaching code that could not take them: deep JSON, NUL characters.
import t from 'tap';
import { parseJsonBody } from '../../src/http/body.js';
import { listQuery } from '../../src/http/list-query.js';
import { Router } from '../../src/http/router.js';

t.test('JSON bodies nested deeper than 64 levels are a 400', async (t) => {
  const nested = (depth: number) => Buffer.from(`${'['.repeat(depth)}${']'.repeat(depth)}`);
  t.same(parseJsonBody(nested(64), 'application/json'), JSON.parse(nested(64).toString()));
  t.throws(() => parseJsonBody(nested(65), 'application/json'), { message: /could not understand/ });
  const deep = Buffer.from(`${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)}`);
  t.throws(
    () => parseJsonBody(deep, 'application/json'),
    { message: /could not understand/ },
    'checked without recursion',
  );
});

t.test('a NUL in a path parameter matches no route; in a list parameter it is a 400', async (t) => {
  const router = new Router();
  router.add({ method: 'GET', path: '/policies/{policy}', handle: () => ({ status: 204 }) });
  t.equal(router.match('GET', '/policies/abc').kind, 'route');
  t.equal(router.match('GET', '/policies/a\u0000b').kind, 'none');
  t.throws(
    () => listQuery(new URLSearchParams('search=a%00b'), { sortable: [], filters: [] }),
    /invalid-list-param|Not a valid string/,
  );
});
