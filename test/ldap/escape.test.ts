// RFC 4515 filter values, RFC 4514 DN values and the `search_filters` template (ldap.md §4 step 4).

import t from 'tap';
import { escapeDnValue, escapeFilterValue, formatSearchFilter } from '../../src/ldap/index.js';

const VALUES = { username: 'alice', user_login_attribute: 'uid', user_email_attribute: 'mail' };

t.test('escapeFilterValue', async (t) => {
  t.equal(escapeFilterValue('alice'), 'alice');
  t.equal(escapeFilterValue('*'), '\\2a');
  t.equal(escapeFilterValue(')(uid=*'), '\\29\\28uid=\\2a');
  t.equal(escapeFilterValue('a\\b'), 'a\\5cb');
  t.equal(escapeFilterValue('a\0b'), 'a\\00b');
  t.equal(escapeFilterValue('é,+"<>;='), 'é,+"<>;=', 'nothing else is touched');
});

t.test('escapeDnValue', async (t) => {
  t.equal(escapeDnValue('alice'), 'alice');
  t.equal(escapeDnValue('a,b+c"d\\e<f>g;h=i'), 'a\\,b\\+c\\"d\\\\e\\<f\\>g\\;h\\=i');
  t.equal(escapeDnValue('#x'), '\\#x', 'leading #');
  t.equal(escapeDnValue('x#'), 'x#', 'only a leading #');
  t.equal(escapeDnValue(' x '), '\\ x\\ ', 'leading and trailing space');
  t.equal(escapeDnValue('a b'), 'a b', 'inner space');
  t.equal(escapeDnValue(' '), '\\ ');
  t.equal(escapeDnValue('a\\ '), 'a\\\\\\ ', 'a backslash before a trailing space');
  t.equal(escapeDnValue('a\0b'), 'a\\00b');
  t.equal(escapeDnValue('*()'), '*()', 'filter specials are plain in a DN');
});

t.test('formatSearchFilter', async (t) => {
  t.equal(formatSearchFilter('{user_login_attribute}={username}', VALUES), '(uid=alice)', 'wrapped');
  t.equal(formatSearchFilter('(uid={username})', VALUES), '(uid=alice)', 'already wrapped');
  t.equal(
    formatSearchFilter('(|({user_login_attribute}={username})({user_email_attribute}={username}))', VALUES),
    '(|(uid=alice)(mail=alice))',
  );
  t.equal(
    formatSearchFilter('(uid={username})', { ...VALUES, username: '*)(uid=*' }),
    '(uid=\\2a\\29\\28uid=\\2a)',
  );
  t.equal(
    formatSearchFilter('(cn={{x}})', VALUES),
    '(cn={x})',
    'doubled braces are literal, as in str.format',
  );
  t.equal(formatSearchFilter('(uid={username}{username})', VALUES), '(uid=alicealice)');
  for (const template of ['(uid={login})', '(uid={})', '(uid={username)', '(uid=username})', '(uid={0})']) {
    t.throws(() => formatSearchFilter(template, VALUES), /invalid search_filters template/, template);
  }
});
