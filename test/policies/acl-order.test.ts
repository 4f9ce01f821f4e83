// A policy's ACL is answered in the order it was given, as upstream answers it (its pivot rows in
// insertion order), on both databases: creation, replacement, one entry added or removed.
import t from 'tap';
import { startSqliteTestApp, startTestApp, type TestApp } from '../helpers/app.js';
import { adminCaller, createPolicy, type PolicyBody } from '../helpers/callers.js';

const starters: Record<string, (t: Parameters<typeof startTestApp>[0]) => Promise<TestApp>> = {
  postgresql: (t) => startTestApp(t),
  sqlite: (t) => startSqliteTestApp(t),
};

for (const [dialect, start] of Object.entries(starters)) {
  t.test(`${dialect}: the ACL keeps the order given`, async (t) => {
    const server = await start(t);
    const admin = await adminCaller(server);
    const aclOf = async (uuid: string) => (await admin.get(`/policies/${uuid}`)).json<PolicyBody>().acl;

    // Interned first, in the opposite order: their access ids must not decide the order.
    await createPolicy(admin, { name: 'earlier', acl: ['!anything', 'z.last', 'a.first'] });

    const given = ['z.last', '!unauthorized', 'a.first', '!anything', 'm.middle'];
    const policy = await createPolicy(admin, { name: 'ordered', acl: given });
    t.strictSame(policy.acl, given, 'POST answers in the order given');
    t.strictSame(await aclOf(policy.uuid), given, 'GET too');
    const listed = (await admin.get('/policies?search=ordered')).json<{ items: PolicyBody[] }>().items;
    t.strictSame(listed[0]?.acl, given, 'and the listing');

    // Upstream's own check: replaced by two negations, given unsorted.
    const put = await admin.put(`/policies/${policy.uuid}`, undefined, {
      name: 'ordered',
      acl: ['!unauthorized', '!anything'],
    });
    t.strictSame(
      put.json<PolicyBody>().acl,
      ['!unauthorized', '!anything'],
      'PUT answers in the order given',
    );
    t.strictSame(await aclOf(policy.uuid), ['!unauthorized', '!anything'], 'GET after PUT');

    const reversed = ['!anything', '!unauthorized'];
    await admin.put(`/policies/${policy.uuid}`, undefined, { name: 'ordered', acl: reversed });
    t.strictSame(await aclOf(policy.uuid), reversed, 'the same entries reordered');

    t.equal((await admin.put(`/policies/${policy.uuid}/acl/a.first`)).status, 204);
    t.strictSame(await aclOf(policy.uuid), [...reversed, 'a.first'], 'an added entry goes last');
    t.equal((await admin.put(`/policies/${policy.uuid}/acl/!anything`)).status, 409, 'already present');
    t.strictSame(await aclOf(policy.uuid), [...reversed, 'a.first'], 'adding a present entry moves nothing');
    t.equal((await admin.delete(`/policies/${policy.uuid}/acl/!unauthorized`)).status, 204);
    t.strictSame(await aclOf(policy.uuid), ['!anything', 'a.first'], 'a removal keeps the others in place');

    await admin.put(`/policies/${policy.uuid}`, undefined, {
      name: 'ordered',
      acl: ['b', 'a', 'b', 'c', 'a'],
    });
    t.strictSame(await aclOf(policy.uuid), ['b', 'a', 'c'], 'duplicates collapse onto their first place');
  });
}
