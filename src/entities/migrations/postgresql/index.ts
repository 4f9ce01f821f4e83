import type { MigrationObject } from '@mikro-orm/core';
import { Migration20261129000000_initial } from './Migration20261129000000_initial.js';
import { Migration20261129120000_bus_outbox } from './Migration20261129120000_bus_outbox.js';
import { Migration20261129180000_token_indexes } from './Migration20261129180000_token_indexes.js';
import { Migration20261130000000_oauth2_flow } from './Migration20261130000000_oauth2_flow.js';
import { Migration20261130120000_saml_session } from './Migration20261130120000_saml_session.js';
import { Migration20261207180000_upstream_defaults } from './Migration20261207180000_upstream_defaults.js';
import { Migration20261207190000_policy_acl_order } from './Migration20261207190000_policy_acl_order.js';
import { Migration20261207200000_token_columns } from './Migration20261207200000_token_columns.js';
import { Migration20261207230000_oauth2_flow_session } from './Migration20261207230000_oauth2_flow_session.js';

/**
 * PostgreSQL migrations, oldest first. The names are what `wazo_auth_migrations` records: never rename one.
 */
export const postgresqlMigrations: MigrationObject[] = [
  { name: 'Migration20261129000000_initial', class: Migration20261129000000_initial },
  { name: 'Migration20261129120000_bus_outbox', class: Migration20261129120000_bus_outbox },
  { name: 'Migration20261129180000_token_indexes', class: Migration20261129180000_token_indexes },
  { name: 'Migration20261130000000_oauth2_flow', class: Migration20261130000000_oauth2_flow },
  { name: 'Migration20261130120000_saml_session', class: Migration20261130120000_saml_session },
  { name: 'Migration20261207180000_upstream_defaults', class: Migration20261207180000_upstream_defaults },
  { name: 'Migration20261207190000_policy_acl_order', class: Migration20261207190000_policy_acl_order },
  { name: 'Migration20261207200000_token_columns', class: Migration20261207200000_token_columns },
  { name: 'Migration20261207230000_oauth2_flow_session', class: Migration20261207230000_oauth2_flow_session },
];
