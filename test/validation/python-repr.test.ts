import t from 'tap';
import { pythonRepr, pythonStr } from '../../src/validation/index.js';

t.test('scalars', async (t) => {
  t.equal(pythonRepr(null), 'None');
  t.equal(pythonRepr(true), 'True');
  t.equal(pythonRepr(false), 'False');
  t.equal(pythonRepr(0), '0');
  t.equal(pythonRepr(-0), '0');
  t.equal(pythonRepr(315360000), '315360000');
  t.equal(pythonRepr(1e21), '1000000000000000000000', 'integers never switch to exponent notation');
  t.equal(pythonRepr(1.5), '1.5');
  t.equal(pythonRepr(-0.25), '-0.25');
  t.equal(pythonRepr(0.0001), '0.0001');
  t.equal(pythonRepr(0.00001), '1e-05');
  t.equal(pythonRepr(1.5e-7), '1.5e-07');
  t.equal(pythonRepr(123456.789), '123456.789');
  t.equal(pythonRepr(1234567890123.5), '1234567890123.5');
});

t.test('strings', async (t) => {
  t.equal(pythonStr('plain'), "'plain'");
  t.equal(pythonStr(''), "''");
  t.equal(pythonStr('"client_id" must be specified'), `'"client_id" must be specified'`);
  t.equal(pythonStr("it's"), `"it's"`, 'a single quote switches to double quotes');
  t.equal(pythonStr(`it's "quoted"`), `'it\\'s "quoted"'`, 'both quotes: single quotes, escaped');
  t.equal(pythonStr('back\\slash'), "'back\\\\slash'");
  t.equal(pythonStr('tab\tnew\nret\r'), "'tab\\tnew\\nret\\r'");
  t.equal(pythonStr('\x00\x1f\x7f'), "'\\x00\\x1f\\x7f'");
  t.equal(pythonStr('nbsp\u00a0soft\u00ad'), "'nbsp\\xa0soft\\xad'");
  t.equal(pythonStr('\u200b\u2028\ufeff'), "'\\u200b\\u2028\\ufeff'");
  t.equal(pythonStr('\ud800'), "'\\ud800'", 'a lone surrogate');
  t.equal(pythonStr('\u{e0001}'), "'\\U000e0001'");
  t.equal(pythonStr('éric 中文 😀'), "'éric 中文 😀'", 'printable non-ASCII stays');
});

t.test('containers', async (t) => {
  t.equal(pythonRepr([]), '[]');
  t.equal(pythonRepr({}), '{}');
  t.equal(pythonRepr([1, 'a', null, [true]]), "[1, 'a', None, [True]]");
  t.equal(pythonRepr({ a: { b: [1, 2] } }), "{'a': {'b': [1, 2]}}");
  t.equal(pythonRepr({ scopes: { 0: { x: 1 }, 12: { y: 2 } } }), "{'scopes': {0: {'x': 1}, 12: {'y': 2}}}");
  t.equal(
    pythonRepr({ '01': 1, '-1': 2, '1.5': 3 }),
    "{'01': 1, '-1': 2, '1.5': 3}",
    'only canonical indexes are ints',
  );
});

t.test('the texts of tokens.md and conventions.md', async (t) => {
  t.equal(
    pythonRepr({
      expiration: { message: 'Not a valid integer.', constraint_id: 'type', constraint: 'integer' },
    }),
    "{'expiration': {'message': 'Not a valid integer.', 'constraint_id': 'type', 'constraint': 'integer'}}",
  );
  t.equal(
    pythonRepr({
      client_id: [
        {
          constraint_id: 'length',
          constraint: { min: 1, max: 1024 },
          message: 'Length must be between 1 and 1024.',
        },
      ],
    }),
    "{'client_id': [{'constraint_id': 'length', 'constraint': {'min': 1, 'max': 1024}, 'message': 'Length must be between 1 and 1024.'}]}",
  );
  t.equal(
    pythonRepr({ _schema: ['"client_id" must be specified when using a "refresh_token"'] }),
    `{'_schema': ['"client_id" must be specified when using a "refresh_token"']}`,
  );
  t.equal(pythonRepr({ _schema: ['Invalid input type.'] }), "{'_schema': ['Invalid input type.']}");
  t.equal(
    pythonRepr({ uuid: 'abc' }),
    "{'uuid': 'abc'}",
    "the policy lookup text: No such policy {'uuid': 'abc'}",
  );
});
