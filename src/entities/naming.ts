import { UnderscoreNamingStrategy } from '@mikro-orm/core';

type IndexType = 'primary' | 'foreign' | 'unique' | 'index' | 'sequence' | 'check';

/**
 * Names foreign keys like upstream's PostgreSQL baseline (`auth_user_tenant_uuid_fkey`), so that a
 * constraint named in an error or a later migration is the same on an upstream-born database.
 */
export class WazoNamingStrategy extends UnderscoreNamingStrategy {
  override indexName(tableName: string, columns: string[], type: IndexType): string {
    if (type === 'foreign') return super.indexName(tableName, columns, 'fkey' as IndexType);
    return super.indexName(tableName, columns, type);
  }
}
