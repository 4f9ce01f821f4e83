import { type Collection, EntitySchema, type OptionalProps } from '@mikro-orm/core';
import type { SqlEntityManager } from '@mikro-orm/postgresql';
import { ownedByTenant, uuidPrimaryKey } from './common.js';
import type { User } from './user.js';

/**
 * `auth_tenant`. The master (top) tenant is the only one whose parent is itself
 * (`tenant.parent.uuid === tenant.uuid`); it is inserted by the initial migration.
 */
export interface Tenant {
  [OptionalProps]?: 'uuid' | 'defaultAuthenticationMethod';
  uuid: string;
  name: string | null;
  /** Unique, case-sensitive, at most 10 characters. */
  slug: string;
  phone: string | null;
  /** Contact user; set to null by the database when that user is deleted. */
  contact: User | null;
  /** No ON DELETE action: a tenant with children cannot be deleted. */
  parent: Tenant;
  defaultAuthenticationMethod: string;
  domains: Collection<TenantDomain>;
}

export const Tenant = new EntitySchema<Tenant>({
  name: 'Tenant',
  tableName: 'auth_tenant',
  properties: {
    uuid: uuidPrimaryKey(38),
    name: { type: 'text', nullable: true },
    slug: { type: 'string', length: 10, unique: 'auth_tenant_slug_key' },
    phone: { type: 'text', nullable: true },
    contact: {
      kind: 'm:1',
      entity: 'User',
      fieldName: 'contact_uuid',
      nullable: true,
      deleteRule: 'set null',
      index: 'auth_tenant__idx__contact_uuid',
    },
    parent: {
      kind: 'm:1',
      entity: 'Tenant',
      fieldName: 'parent_uuid',
      deleteRule: 'no action',
      index: 'auth_tenant__idx__parent_uuid',
    },
    defaultAuthenticationMethod: {
      type: 'text',
      fieldName: 'default_authentication_method',
      default: 'native',
    },
    domains: { kind: '1:m', entity: 'TenantDomain', mappedBy: 'tenant' },
  },
});

/** The master tenant (the only tenant that is its own parent), or null on an empty database. */
export async function findMasterTenant(em: SqlEntityManager): Promise<Tenant | null> {
  return em.createQueryBuilder(Tenant, 't').where('t.uuid = t.parent_uuid').getSingleResult();
}

/** `auth_tenant_domain`: domain names are unique across all tenants. */
export interface TenantDomain {
  [OptionalProps]?: 'uuid';
  uuid: string;
  tenant: Tenant;
  name: string;
}

export const TenantDomain = new EntitySchema<TenantDomain>({
  name: 'TenantDomain',
  tableName: 'auth_tenant_domain',
  properties: {
    uuid: uuidPrimaryKey(36),
    tenant: ownedByTenant('auth_tenant_domain__idx__tenant_uuid'),
    name: { type: 'string', length: 253, unique: 'auth_tenant_domain_name_key' },
  },
});

/** `auth_address`: the postal address of a tenant (upstream allows several rows, uses one). */
export interface Address {
  [OptionalProps]?: 'id';
  id: number;
  tenant: Tenant;
  line1: string | null;
  line2: string | null;
  city: string | null;
  state: string | null;
  zipCode: string | null;
  country: string | null;
}

export const Address = new EntitySchema<Address>({
  name: 'Address',
  tableName: 'auth_address',
  properties: {
    id: { type: 'integer', primary: true, autoincrement: true },
    tenant: ownedByTenant('auth_address__idx__tenant_uuid'),
    line1: { type: 'text', fieldName: 'line_1', nullable: true },
    line2: { type: 'text', fieldName: 'line_2', nullable: true },
    city: { type: 'text', nullable: true },
    state: { type: 'text', nullable: true },
    zipCode: { type: 'text', fieldName: 'zip_code', nullable: true },
    country: { type: 'text', nullable: true },
  },
});
