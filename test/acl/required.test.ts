import t from 'tap';
import { AclMatcher, compileTemplate, renderRequiredAcl } from '../../src/acl/index.js';

const U = '3f0c8a2e-5b1d-4c7e-9a6f-0d2b4e6f81e1';
const S = 'c0ffee00-1111-4222-8333-944455556666';

t.test('placeholders are replaced with dots turned into underscores', async (t) => {
  const template = 'auth.users.{user_uuid}.tokens.{client_id}.delete';
  t.equal(
    renderRequiredAcl(template, { user_uuid: U, client_id: 'my.app' }),
    `auth.users.${U}.tokens.my_app.delete`,
  );
  t.equal(
    renderRequiredAcl(template, { user_uuid: U, client_id: 'a..b.' }),
    `auth.users.${U}.tokens.a__b_.delete`,
  );
  t.equal(
    renderRequiredAcl('auth.users.{user_uuid}.sessions.{session_uuid}.delete', {
      user_uuid: U,
      session_uuid: S,
    }),
    `auth.users.${U}.sessions.${S}.delete`,
  );
  t.equal(
    renderRequiredAcl('auth.tenants.{tenant_uuid}.parent.{parent_tenant_uuid}.update', {
      tenant_uuid: 'a',
      parent_tenant_uuid: 'b.c',
    }),
    'auth.tenants.a.parent.b_c.update',
  );
});

t.test('values are otherwise used verbatim', async (t) => {
  // The caller lowercases UUIDs; this module must not alter case or wildcards.
  t.equal(
    renderRequiredAcl('auth.users.{user_uuid}.read', { user_uuid: 'ABC-Def' }),
    'auth.users.ABC-Def.read',
  );
  t.equal(
    renderRequiredAcl('auth.policies.{policy_slug}.read', { policy_slug: '*#' }),
    'auth.policies.*#.read',
  );
  t.equal(renderRequiredAcl('auth.policies.{policy_slug}.read', { policy_slug: '' }), 'auth.policies..read');
  t.equal(renderRequiredAcl('x.{a}.{a}', { a: 'v.w' }), 'x.v_w.v_w', 'a placeholder may repeat');
  t.equal(renderRequiredAcl('x.{a}.y', { a: '{b}', b: 'no' }), 'x.{b}.y', 'values are not re-expanded');
});

t.test('templates without placeholders and the literal word me', async (t) => {
  t.equal(renderRequiredAcl('auth.tokens.read', {}), 'auth.tokens.read');
  t.equal(renderRequiredAcl('auth.users.me.tokens.read', { user_uuid: U }), 'auth.users.me.tokens.read');
  const required = renderRequiredAcl('auth.users.me.tokens.{client_id}.delete', { client_id: 'my.app' });
  t.equal(required, 'auth.users.me.tokens.my_app.delete');
  t.equal(new AclMatcher(['auth.users.me.tokens.#'], { authId: U }).allows(required), true);
  t.equal(new AclMatcher([`auth.users.${U}.tokens.#`], { authId: U }).allows(required), false);
});

t.test('compileTemplate returns a reusable renderer', async (t) => {
  const render = compileTemplate('auth.groups.{group_uuid}.users.{user_uuid}.create');
  t.equal(render({ group_uuid: 'g', user_uuid: 'u' }), 'auth.groups.g.users.u.create');
  t.equal(render({ group_uuid: 'g.1', user_uuid: 'u.2' }), 'auth.groups.g_1.users.u_2.create');
  t.equal(compileTemplate('{a}')({ a: 'x.y' }), 'x_y');
  t.equal(compileTemplate('auth.{weird-name}.read')({}), 'auth.{weird-name}.read', 'not a placeholder name');
});

t.test('a missing parameter is a route declaration bug', async (t) => {
  t.throws(() => renderRequiredAcl('auth.users.{user_uuid}.read', {}), /no value for \{user_uuid\}/);
  t.throws(() => renderRequiredAcl('auth.users.{toString}.read', {}), /no value for \{toString\}/);
});
