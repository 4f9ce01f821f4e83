/**
 * The sending side of the revocation notices (the listening side is src/cluster/revocation-notices.ts).
 *
 * Every deletion of `auth_token` rows on PostgreSQL (a logout, a session or user's sessions revoked, the
 * minted tokens of a deleted refresh token, a tenant's cascade, the cleanup's purge, a DBA's hand) runs
 * this trigger, which NOTIFYs the deleted uuids inside the deleting transaction, on its connection:
 * PostgreSQL delivers the notice if and only if the deletion commits, to every process listening on the
 * database, even when the process that deleted dies right after. No code path can forget to announce,
 * and no second connection has to be up for the announcement to leave.
 */

/** The channel every server process sharing a database listens on. */
export const REVOCATION_CHANNEL = 'wazo_auth_tokens_revoked';

const FUNCTION = 'wazo_auth_tokens_revoked';
const TRIGGER = 'wazo_auth_tokens_revoked';

/**
 * The function's body. A statement-level trigger sees every row the statement deleted (cascades
 * included) in its transition table; NOTIFY payloads are limited to 8000 bytes, so the uuids leave as
 * JSON arrays of 150 at most (150 × 40 bytes).
 */
const BODY = `
declare
  notice text;
begin
  for notice in
    select json_agg(uuid)::text
    from (select uuid, (row_number() over () - 1) / 150 as part from revoked) as parts
    group by part
  loop
    perform pg_notify('${REVOCATION_CHANNEL}', notice);
  end loop;
  return null;
end
`;

/** Runs one statement in the caller's transaction and answers its rows. */
export type Execute = (sql: string, params?: unknown[]) => Promise<Record<string, unknown>[]>;

/**
 * Creates or updates the trigger; idempotent, and writes nothing when it is already as here. Run with
 * the migrations, in their transaction (serialised between processes by their advisory lock).
 */
export async function installRevocationTrigger(execute: Execute): Promise<void> {
  const [current] = await execute(
    `select p.prosrc as body,
       exists (select 1 from pg_trigger where tgname = ? and tgrelid = 'auth_token'::regclass) as attached
     from pg_proc p join pg_namespace n on n.oid = p.pronamespace
     where p.proname = ? and n.nspname = current_schema()`,
    [TRIGGER, FUNCTION],
  );
  if (current?.body !== BODY) {
    await execute(
      `create or replace function ${FUNCTION}() returns trigger language plpgsql as $body$${BODY}$body$`,
    );
  }
  if (current?.attached !== true) {
    await execute(
      `create trigger ${TRIGGER} after delete on auth_token referencing old table as revoked
       for each statement execute function ${FUNCTION}()`,
    );
  }
}
