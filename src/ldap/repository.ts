import type { RequiredEntityData } from '@mikro-orm/core';
import { LdapConfig } from '../entities/index.js';
import type { Database } from '../entities/orm.js';
import type { LdapConfigPut } from './config.js';

/** The fields of a PUT that keep their stored value when the body leaves them out (ldap.md §3). */
const KEPT_WHEN_ABSENT = ['protocol_security', 'bind_dn', 'bind_password', 'search_filters'] as const;

/** Body field → entity property. */
const PROPERTIES = {
  host: 'host',
  port: 'port',
  protocol_version: 'protocolVersion',
  protocol_security: 'protocolSecurity',
  bind_dn: 'bindDn',
  bind_password: 'bindPassword',
  user_base_dn: 'userBaseDn',
  user_login_attribute: 'userLoginAttribute',
  user_email_attribute: 'userEmailAttribute',
  search_filters: 'searchFilters',
} as const satisfies Record<keyof LdapConfigPut, keyof LdapConfig>;

/** `auth_ldap_config`: one row per tenant. */
export class LdapConfigRepository {
  constructor(private readonly orm: Database) {}

  find(tenantUuid: string): Promise<LdapConfig | null> {
    return this.orm.em.fork().findOne(LdapConfig, { tenant: tenantUuid });
  }

  /**
   * Creates the tenant's configuration or merges `body` into it, in one statement so that two first
   * PUTs racing each other cannot both try to insert; the row is read back in the same transaction.
   */
  async put(tenantUuid: string, body: LdapConfigPut): Promise<LdapConfig> {
    const row: Record<string, unknown> = { tenant: tenantUuid };
    const merged: string[] = [];
    for (const [key, property] of Object.entries(PROPERTIES)) {
      const present = Object.hasOwn(body, key);
      row[property] = present ? body[key as keyof LdapConfigPut] : null;
      if (present || !(KEPT_WHEN_ABSENT as readonly string[]).includes(key)) merged.push(property);
    }
    return this.orm.em.fork().transactional(async (em) => {
      await em
        .createQueryBuilder(LdapConfig)
        .insert(row as RequiredEntityData<LdapConfig>)
        .onConflict('tenant')
        .merge(merged as (keyof LdapConfig)[])
        .execute();
      return em.findOneOrFail(LdapConfig, { tenant: tenantUuid }, { refresh: true });
    });
  }

  async delete(tenantUuid: string): Promise<void> {
    await this.orm.em.fork().nativeDelete(LdapConfig, { tenant: tenantUuid });
  }
}
