import { Migration } from '@mikro-orm/migrations';

/** The bus outbox (`src/bus/outbox.ts`): events committed with their change, until the broker takes them. */
export class Migration20261129120000_bus_outbox extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table "auth_bus_outbox" (
      "id" integer not null primary key autoincrement,
      "routing_key" text not null,
      "headers" text not null,
      "body" text not null
    )`);
  }

  override async down(): Promise<void> {
    this.addSql('drop table if exists "auth_bus_outbox"');
  }
}
