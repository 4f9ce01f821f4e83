import type { Database } from '../entities/orm.js';
import { Batcher } from '../tokens/batching.js';

/** What a login needs to know of its user besides the credentials. */
export interface UserFacts {
  uuid: string;
  purpose: 'user' | 'internal' | 'external_api';
  tenantUuid: string;
  enabled: boolean;
  /** The user's `authentication_method`, or its tenant's default when it says `default` (idp.md §1). */
  effectiveMethod: string;
}

interface Row {
  uuid: string;
  purpose: UserFacts['purpose'];
  tenant_uuid: string;
  enabled: boolean | number | null;
  authentication_method: string;
  default_authentication_method: string;
}

/** Users' facts for concurrent logins, one query per batch (refresh-token logins come by thousands). */
export class UserFactsReader {
  private readonly batcher = new Batcher<string, UserFacts | null>((uuids) => this.read(uuids));

  constructor(private readonly orm: Database) {}

  of(uuid: string): Promise<UserFacts | null> {
    return this.batcher.submit(uuid);
  }

  private async read(uuids: string[]): Promise<(UserFacts | null)[]> {
    const rows: Row[] = await this.orm.em
      .getKnex()('auth_user as u')
      .join('auth_tenant as t', 't.uuid', 'u.tenant_uuid')
      .select(
        'u.uuid',
        'u.purpose',
        'u.tenant_uuid',
        'u.enabled',
        'u.authentication_method',
        't.default_authentication_method',
      )
      .whereIn('u.uuid', [...new Set(uuids)]);
    const found = new Map(rows.map((row) => [row.uuid, row]));
    return uuids.map((uuid) => {
      const row = found.get(uuid);
      if (!row) return null;
      return {
        uuid: row.uuid,
        purpose: row.purpose,
        tenantUuid: row.tenant_uuid,
        // SQLite hands booleans over as 0 and 1.
        enabled: row.enabled === true || row.enabled === 1,
        effectiveMethod:
          row.authentication_method === 'default'
            ? row.default_authentication_method
            : row.authentication_method,
      };
    });
  }
}
