#!/usr/bin/env node
// `npm run bench`: runs every bench/*.bench.ts one after the other (never in parallel: they would
// measure each other) and lets each print its own figures. `npm run bench -- acl` runs the matching ones.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const filter = process.argv.slice(2);
const benches = readdirSync(join(root, 'bench'))
  .filter((name) => name.endsWith('.bench.ts'))
  .filter((name) => filter.length === 0 || filter.some((part) => name.includes(part)))
  .sort();

let failed = 0;
for (const name of benches) {
  console.log(`\n== ${name}`);
  const run = spawnSync(join(root, 'node_modules/.bin/tsx'), [join('bench', name)], {
    cwd: root,
    stdio: 'inherit',
  });
  if (run.status !== 0) failed++;
}
process.exit(failed === 0 ? 0 : 1);
