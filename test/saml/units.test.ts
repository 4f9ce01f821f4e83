// The pure parts of src/saml: identifiers, the domain rule, URL building, XML reading, forms.
import t from 'tap';
import { readForm } from '../../src/saml/form.js';
import {
  isDomainName,
  newRelayState,
  newSessionId,
  relayStateOf,
  withQueryParameter,
} from '../../src/saml/identifiers.js';
import { slsUrlOf } from '../../src/saml/providers.js';
import { parseXml, withoutDeclaration } from '../../src/saml/xml.js';
import { multipart } from '../helpers/saml-idp.js';

t.test('identifiers', async (t) => {
  const id = newSessionId();
  t.match(id, /^[A-Za-z0-9_-]{22}$/);
  t.not(newSessionId(), id);
  // SHA-256 of "abc", URL-safe base64 with its padding.
  t.equal(relayStateOf('abc'), 'ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0=');
  t.match(newRelayState(), /^[A-Za-z0-9_-]{43}=$/);
});

t.test('domain names', async (t) => {
  for (const ok of [
    'example.com',
    'a.b',
    'example.com.',
    'x-y.example.co',
    `${'a'.repeat(63)}.com`,
    'EXAMPLE.COM',
  ]) {
    t.ok(isDomainName(ok), ok);
  }
  for (const bad of [
    'notadomain',
    'a_b.com',
    '-a.com',
    'a-.com',
    'a..com',
    '.com',
    'com.',
    '',
    `${'a'.repeat(64)}.com`,
    `${'a.'.repeat(127)}com`,
    'a.com..',
    'a b.com',
  ]) {
    t.notOk(isDomainName(bad), bad);
  }
});

t.test('query parameters added to URLs', async (t) => {
  t.equal(withQueryParameter('https://a/b', 'x=1'), 'https://a/b?x=1');
  t.equal(withQueryParameter('https://a/b?y=2', 'x=1'), 'https://a/b?y=2&x=1');
  t.equal(withQueryParameter('https://a/b?', 'x=1'), 'https://a/b?x=1');
  t.equal(withQueryParameter('https://a/b#top', 'x=1'), 'https://a/b?x=1#top');
});

t.test('SLS URL beside the ACS URL', async (t) => {
  t.equal(slsUrlOf('https://s/api/auth/0.1/saml/acs'), 'https://s/api/auth/0.1/saml/sls');
  t.equal(slsUrlOf('https://s/acs-endpoint'), null);
});

t.test('XML', async (t) => {
  t.equal(parseXml('<a x="1"><b/></a>').documentElement?.localName, 'a');
  for (const bad of [
    '',
    'text',
    '<a>',
    '<a></b>',
    '<a><b></a>',
    '<a/><b/>',
    '<a x=1/>',
    '<a/>tail',
    'lead<a/>',
  ]) {
    t.throws(() => parseXml(bad), { name: 'InvalidXml' }, JSON.stringify(bad));
  }
  t.equal(withoutDeclaration('<?xml version="1.0" encoding="UTF-8"?>\n<a/>\n'), '<a/>\n');
  t.equal(withoutDeclaration('\uFEFF<?xml version="1.0"?><a/>'), '<a/>');
  t.equal(withoutDeclaration('<a/>'), '<a/>');
});

t.test('forms', async (t) => {
  const encoded = readForm(
    Buffer.from('SAMLResponse=a%2Bb&RelayState=r%3D&RelayState=second'),
    'application/x-www-form-urlencoded; charset=utf-8',
  );
  t.equal(encoded.fields.get('SAMLResponse'), 'a+b');
  t.equal(encoded.fields.get('RelayState'), 'r=', 'the first value wins');
  const { body, contentType } = multipart(
    { entity_id: 'e' },
    { metadata: { filename: 'm.xml', content: '<a/>' }, empty: { filename: '', content: '' } },
  );
  const parts = readForm(body, contentType);
  t.equal(parts.fields.get('entity_id'), 'e');
  t.equal(parts.files.get('metadata')?.filename, 'm.xml');
  t.equal(parts.files.get('metadata')?.data.toString(), '<a/>');
  t.equal(parts.files.get('empty')?.filename, '');
  t.equal(readForm(Buffer.from('{"a":1}'), 'application/json').fields.size, 0);
  t.equal(readForm(Buffer.alloc(0), 'multipart/form-data; boundary=x').fields.size, 0);
});
