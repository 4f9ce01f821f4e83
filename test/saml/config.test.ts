// The per-tenant SAML configuration API (saml.md §2): /backends/saml, its metadata, the ACS URL template,
// and our SP metadata; SSO follows every change.
import t from 'tap';
import { SamlConfig, TenantDomain } from '../../src/entities/index.js';
import { JSON_HEADERS, startTestApp } from '../helpers/app.js';
import { apiError, userCaller } from '../helpers/callers.js';
import { createTenant } from '../helpers/fixtures.js';
import {
  ACS_URL,
  APP_URL,
  addDomain,
  ENTITY_ID,
  readRedirect,
  sendConfig,
  startSamlWorld,
  TestIdp,
} from '../helpers/saml-idp.js';

// The web application the tests return to is a host the platform owns (redirects.test.ts).
const world = await startSamlWorld(t, (config) => {
  config.public_hosts = [new URL(APP_URL).host];
});
const { server, admin, tenant, domainUuid, idp } = world;

const FIELDS = { domain_uuid: domainUuid, entity_id: ENTITY_ID, acs_url: ACS_URL };
const SIMPLE = '<EntityDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata" entityID="x"/>';
const file = (content: string, filename = 'metadata.xml') => ({ metadata: { filename, content } });

/** A tenant of its own with a domain, for tests that create configurations. */
async function freshTenant(name: string): Promise<{ tenant: string; domain: string }> {
  const uuid = await createTenant(server.orm, name);
  return { tenant: uuid, domain: await addDomain(server.orm, uuid, `${name}.example.org`) };
}

const post = (
  fields: Record<string, string>,
  files: Record<string, { filename: string; content: string }>,
  tenant: string,
) => sendConfig(server, admin.token, 'POST', fields, files, tenant);
const put = (
  fields: Record<string, string>,
  files: Record<string, { filename: string; content: string }>,
  tenant: string,
) => sendConfig(server, admin.token, 'PUT', fields, files, tenant);

const sso = (domain = world.domain) =>
  server.call({
    method: 'POST',
    path: '/0.1/saml/sso',
    headers: JSON_HEADERS,
    body: JSON.stringify({ redirect_url: APP_URL, domain }),
  });

t.test('GET /backends/saml', async (t) => {
  const res = await admin.get('/backends/saml', tenant);
  t.equal(res.status, 200);
  t.same(Object.keys(res.json<object>()), ['domain_uuid', 'entity_id', 'acs_url', 'tenant_uuid']);
  t.same(res.json(), {
    domain_uuid: domainUuid,
    entity_id: ENTITY_ID,
    acs_url: ACS_URL,
    tenant_uuid: tenant,
  });

  const none = await admin.get('/backends/saml');
  t.equal(none.status, 404, 'the master tenant has none');
  t.match(apiError(none), { error_id: 'unknown-saml-config', resource: 'saml_config' });
});

t.test('POST /backends/saml', async (t) => {
  const { tenant: mine, domain } = await freshTenant('beta');
  const fields = { domain_uuid: domain, entity_id: 'https://beta/sp', acs_url: 'https://beta/acs' };

  await t.test('form field errors: invalid-list-param, the first field', async (t) => {
    const missing = await post({ entity_id: 'e', acs_url: 'a' }, file(SIMPLE), mine);
    t.equal(missing.status, 400);
    t.same(apiError(missing), {
      message: 'Missing data for required field.',
      error_id: 'invalid-list-param',
      resource: 'users',
      details: {
        domain_uuid: {
          message: 'Missing data for required field.',
          constraint_id: 'required',
          constraint: 'required',
        },
      },
    });
    const short = await post({ ...fields, domain_uuid: 'abc' }, file(SIMPLE), mine);
    t.equal(short.status, 400);
    t.match(apiError(short), {
      error_id: 'invalid-list-param',
      details: { domain_uuid: { constraint_id: 'length', constraint: { min: 36, max: 38 } } },
    });
    const long = await post({ ...fields, acs_url: 'a'.repeat(513) }, file(SIMPLE), mine);
    t.match(apiError(long), { details: { acs_url: { constraint_id: 'length' } } });
    const empty = await post({ ...fields, entity_id: '' }, file(SIMPLE), mine);
    t.match(apiError(empty), { details: { entity_id: { constraint_id: 'length' } } });
  });

  await t.test('metadata errors', async (t) => {
    const none = await post(fields, {}, mine);
    t.equal(none.status, 400);
    t.same(apiError(none), {
      message: 'No metadata file provided',
      error_id: 'unknown-saml-config',
      resource: 'saml_config',
      details: {},
    });
    const asField = await post({ ...fields, metadata: SIMPLE }, {}, mine);
    t.match(apiError(asField), { message: 'No metadata file provided' }, 'a plain field is no file');
    const noName = await post(fields, file(SIMPLE, ''), mine);
    t.match(apiError(noName), { message: 'Empty metadata file provided', error_id: 'unknown-saml-config' });
    for (const broken of ['not xml', '<a><b></a>', '<a/><b/>', '']) {
      const res = await post(fields, file(broken), mine);
      t.equal(res.status, 400, JSON.stringify(broken));
      t.match(apiError(res), { message: /^Invalid XML \(.+\)$/, error_id: 'unknown-saml-config' });
    }
    const notMine = await post({ ...fields, domain_uuid: domainUuid }, file(SIMPLE), mine);
    t.equal(notMine.status, 400);
    t.match(apiError(notMine), { message: 'Domain not from tenant', error_id: 'unknown-saml-config' });
    t.equal((await admin.get('/backends/saml', mine)).status, 404, 'nothing was created');
  });

  await t.test('created: 200, metadata kept byte for byte without its declaration', async (t) => {
    const res = await post(
      { ...fields, tenant_uuid: tenant },
      file(`<?xml version="1.0" encoding="UTF-8"?>\n${SIMPLE}`),
      mine,
    );
    t.equal(res.status, 200, res.text);
    t.same(res.json(), { ...fields, tenant_uuid: mine }, 'the tenant is the scoping one, whatever was sent');
    const metadata = await admin.get('/backends/saml/metadata', mine);
    t.equal(metadata.status, 200);
    t.equal(metadata.text, SIMPLE);
    t.match(metadata.headers['content-type'], /^application\/xml/);
    t.match(metadata.headers['content-disposition'], /^attachment/);

    const again = await post(fields, file(SIMPLE), mine);
    t.equal(again.status, 409);
    t.match(apiError(again), {
      message: 'Conflict detected',
      error_id: 'conflict',
      details: { tenant_uuid: { constraint_id: 'unique' } },
    });
  });

  await t.test('the metadata of an upload without declaration is returned identical', async (t) => {
    const { tenant: other, domain: otherDomain } = await freshTenant('gamma');
    const text = `${idp.metadata}\n`;
    t.equal((await post({ ...fields, domain_uuid: otherDomain }, file(text), other)).status, 200);
    t.equal((await admin.get('/backends/saml/metadata', other)).text, text);
  });
});

t.test('PUT /backends/saml changes only what is sent', async (t) => {
  const { tenant: mine, domain } = await freshTenant('delta');
  const none = await put({ entity_id: 'x' }, {}, mine);
  t.equal(none.status, 404);
  t.match(apiError(none), { error_id: 'unknown-saml-config' });

  t.equal(
    (await post({ domain_uuid: domain, entity_id: 'e1', acs_url: 'https://delta/acs' }, file(SIMPLE), mine))
      .status,
    200,
  );
  const renamed = await put({ entity_id: 'e2' }, {}, mine);
  t.equal(renamed.status, 200);
  t.same(renamed.json(), {
    domain_uuid: domain,
    entity_id: 'e2',
    acs_url: 'https://delta/acs',
    tenant_uuid: mine,
  });
  t.equal((await admin.get('/backends/saml/metadata', mine)).text, SIMPLE, 'metadata untouched');

  const bad = await put({ acs_url: '' }, {}, mine);
  t.equal(bad.status, 400, 'upstream answers 500');
  t.match(apiError(bad), {
    error_id: 'invalid-list-param',
    details: { acs_url: { constraint_id: 'length' } },
  });
  t.match(apiError(await put({}, file('<broken'), mine)), { message: /^Invalid XML/ });
  t.match(apiError(await put({}, file(SIMPLE, ''), mine)), { message: 'Empty metadata file provided' });
  t.match(apiError(await put({ domain_uuid: domainUuid }, {}, mine)), { message: 'Domain not from tenant' });

  const second = await addDomain(server.orm, mine, 'delta2.example.org');
  const moved = await put({ domain_uuid: second }, file('<other/>'), mine);
  t.equal(moved.status, 200);
  t.equal(moved.json<{ domain_uuid: string }>().domain_uuid, second);
  t.equal((await admin.get('/backends/saml/metadata', mine)).text, '<other/>');
});

t.test('DELETE /backends/saml: 204, also when there is none', async (t) => {
  const { tenant: mine, domain } = await freshTenant('epsilon');
  t.equal(
    (await post({ domain_uuid: domain, entity_id: 'e', acs_url: 'a' }, file(SIMPLE), mine)).status,
    200,
  );
  t.equal((await admin.delete('/backends/saml', mine)).status, 204);
  t.equal((await admin.get('/backends/saml', mine)).status, 404);
  t.equal((await admin.delete('/backends/saml', mine)).status, 204);
});

t.test('deleting the domain deletes the configuration', async (t) => {
  const { tenant: mine, domain } = await freshTenant('zeta');
  t.equal(
    (await post({ domain_uuid: domain, entity_id: 'e', acs_url: 'a' }, file(SIMPLE), mine)).status,
    200,
  );
  await server.orm.em.fork().nativeDelete(TenantDomain, { uuid: domain });
  t.equal(await server.orm.em.fork().count(SamlConfig, { tenant: mine }), 0);
});

t.test('GET /backends/saml/acs_url_template', async (t) => {
  const res = await admin.get('/backends/saml/acs_url_template');
  t.equal(res.status, 200);
  t.same(res.json(), { acs_url: 'https://{{STACK_URL}}/api/auth/0.1/saml/acs' });
});

t.test('GET /backends/saml/sp_metadata: what the IdP administrator registers', async (t) => {
  const res = await admin.get('/backends/saml/sp_metadata', tenant);
  t.equal(res.status, 200);
  t.match(res.headers['content-type'], /^application\/xml/);
  t.match(res.text, `entityID="${ENTITY_ID}"`);
  t.match(res.text, 'AuthnRequestsSigned="true"');
  t.match(res.text, `Location="${ACS_URL}"`);
  t.match(res.text, 'Location="https://stack.example.com/api/auth/0.1/saml/sls"');
  const certificate = world.keys.sp.cert.replace(/-----[^-]+-----|\s/g, '');
  t.ok(res.text.replace(/\s/g, '').includes(certificate), 'the SP certificate');
  t.equal((await admin.get('/backends/saml/sp_metadata')).status, 404, 'no configuration');
});

t.test('ACL and tenant checks', async (t) => {
  const reader = await userCaller(server, 'reader', ['auth.backends.saml.read']);
  t.equal((await reader.get('/backends/saml/acs_url_template')).status, 200);
  t.equal((await reader.delete('/backends/saml')).status, 401);
  const res = await sendConfig(server, reader.token, 'POST', FIELDS, file(SIMPLE));
  t.equal(res.status, 401);
  const sibling = await createTenant(server.orm, 'sibling');
  const child = await userCaller(server, 'childadmin', ['auth.backends.saml.#'], tenant);
  const foreign = await child.get('/backends/saml', sibling);
  t.equal(foreign.status, 401);
  t.match(apiError(foreign), { error_id: 'unauthorized-tenant' });
  t.equal((await child.get('/backends/saml')).status, 200, 'its own tenant');
});

t.test('SSO follows configuration changes', async (t) => {
  t.equal((await sso()).status, 200);
  const moved = new TestIdp({ keys: world.keys.other, ssoUrl: 'https://idp2.example.test/sso' });
  t.equal((await put({}, file(moved.metadata), tenant)).status, 200);
  const res = await sso();
  t.equal(res.status, 200);
  const { location } = res.json<{ location: string }>();
  t.ok(location.startsWith('https://idp2.example.test/sso?'), 'the new IdP');
  t.match(readRedirect(location, 'SAMLRequest').xml, ENTITY_ID);

  t.equal((await put({}, file('<not-metadata/>'), tenant)).status, 200, 'any well-formed XML is stored');
  const broken = await sso();
  t.equal(broken.status, 500);
  t.match(apiError(broken), { error_id: 'configuration-error', details: { domain: world.domain } });

  t.equal((await put({}, file(idp.metadata), tenant)).status, 200);
  t.equal((await sso()).status, 200);
  t.equal((await admin.delete('/backends/saml', tenant)).status, 204);
  t.equal((await sso()).status, 500, 'no configuration any more');
});

t.test('without the SP key pair the server starts, says so, and SAML login is unavailable', async (t) => {
  const bare = await startTestApp(t, (config) => {
    config.saml.key_file = '/nonexistent/server.key';
    config.saml.cert_file = '/nonexistent/server.crt';
  });
  t.ok(
    bare.logs.lines.some(
      (line) => line.includes('SAML login unavailable') && line.includes('/nonexistent/server.key'),
    ),
    'a warning at start',
  );
  const res = await bare.call({
    method: 'POST',
    path: '/0.1/saml/sso',
    headers: JSON_HEADERS,
    body: JSON.stringify({ redirect_url: APP_URL, domain: 'acme.example.com' }),
  });
  t.equal(res.status, 500);
  t.match(apiError(res), { error_id: 'configuration-error' });
});
