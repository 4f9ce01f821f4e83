// Shared by the group tests: the group object and the tenant tree they run in.
import type { Test as Tap } from 'tap';
import type { TestApp } from '../helpers/app.js';
import type { Caller } from '../helpers/callers.js';

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

export { setUp, type Tree } from '../helpers/tenant-tree.js';

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
