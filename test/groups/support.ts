// Shared by the group tests: the group object and the tenant tree they run in.
import type { Test as Tap } from 'tap';
import type { TestApp } from '../helpers/app.js';
import { adminCaller, type Caller } from '../helpers/callers.js';
import { createTenant, masterUuid } from '../helpers/fixtures.js';

/** A group object as the API answers it (groups.md §1). */
export type GroupBody = {
  uuid: string;
  tenant_uuid: string;
  name: string;
  slug: string;
  read_only: boolean;
  system_managed: boolean;
};
export type GroupList = { total: number; filtered: number; items: GroupBody[] };

export const UNKNOWN = '00000000-0000-4000-8000-000000000000';

/** The tenant tree the tests use: master → child → grandchild, and master → sibling. */
export interface Tree {
  master: string;
  child: string;
  grandchild: string;
  sibling: string;
}

export async function setUp(server: TestApp): Promise<{ admin: Caller & { uuid: string }; tree: Tree }> {
  const admin = await adminCaller(server);
  const master = await masterUuid(server.orm);
  const child = await createTenant(server.orm, 'child');
  const grandchild = await createTenant(server.orm, 'grandchild', child);
  const sibling = await createTenant(server.orm, 'sibling');
  return { admin, tree: { master, child, grandchild, sibling } };
}

/** The last subtest of a test: no request of the test ended in an unexpected error (a logged 500). */
export function expectNoServerError(t: Tap, server: TestApp): void {
  t.test('no unexpected server error', async (t) => {
    t.strictSame(
      server.logs.lines.filter((line) => line.includes('unhandled error')),
      [],
    );
  });
}

/** Creates a group through the API (as `caller`, in `tenant`); anything but a 200 throws. */
export async function newGroup(
  caller: Caller,
  body: { name: string; slug?: string | null },
  tenant?: string,
): Promise<GroupBody> {
  const res = await caller.post('/groups', body, tenant);
  if (res.status !== 200) throw new Error(`POST /groups ${res.status} ${res.text}`);
  return res.json<GroupBody>();
}
