import type { MigrationObject } from '@mikro-orm/core';
import { Migration20261129000000_initial } from './Migration20261129000000_initial.js';

/**
 * SQLite migrations, oldest first. The names are what `wazo_auth_migrations` records: never rename one.
 */
export const sqliteMigrations: MigrationObject[] = [
  { name: 'Migration20261129000000_initial', class: Migration20261129000000_initial },
];
