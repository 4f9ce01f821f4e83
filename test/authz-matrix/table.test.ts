// The authorization table and the matrix's instruments (checks.ts): every route of the server classified
// in table.ts, each entry's ACL the route's, the reference matcher, the oracle, the change journal.
import t from 'tap';
import { tableChecks } from './checks.js';

tableChecks(t);
