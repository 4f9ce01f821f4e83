// The tenant tree resource tests run in, and the master tenant's administrator.
import type { TestApp } from './app.js';
import { adminCaller, type Caller } from './callers.js';
import { createTenant, masterUuid } from './fixtures.js';

/** master → child → grandchild, and master → sibling. */
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
