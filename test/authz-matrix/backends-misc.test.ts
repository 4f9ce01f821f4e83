// The authorization matrix (table.ts) of the routes of part `backends-misc`: every route × caller × target ×
// Wazo-Tenant, each answer checked against the one the table implies, nothing changed by a refusal, no
// other tenant's object shown. One file per part keeps each well within the runner's 180 s per file.
import t from 'tap';
import { runParts } from './runner.js';

t.test('authorization matrix: backends-misc', async (t) => {
  const report = await runParts(t, ['backends-misc']);
  t.ok(report.cases > 0, 'cases were run');
});
