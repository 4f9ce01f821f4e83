import type { Address, Tenant, TenantDomain } from '../entities/index.js';

/** A tenant with what its JSON shows: its domains and its (first) address row. */
export interface TenantView {
  tenant: Tenant;
  domains: readonly TenantDomain[];
  address: Address | null;
}

/** Type aliases, not interfaces, so that they stay assignable to `Json`. */
export type AddressJson = {
  line_1: string | null;
  line_2: string | null;
  city: string | null;
  state: string | null;
  country: string | null;
  zip_code: string | null;
};

export type TenantJson = {
  uuid: string;
  parent_uuid: string;
  name: string | null;
  slug: string;
  contact: string | null;
  phone: string | null;
  default_authentication_method: string;
  domain_names: string[];
  address: AddressJson;
};

/** Always the six keys, in upstream's order; all null when the tenant has no address row. */
export function addressJson(address: Address | null): AddressJson {
  return {
    line_1: address?.line1 ?? null,
    line_2: address?.line2 ?? null,
    city: address?.city ?? null,
    state: address?.state ?? null,
    country: address?.country ?? null,
    zip_code: address?.zipCode ?? null,
  };
}

/** The tenant object (tenants.md §2), keys in upstream's order; domain names sorted. */
export function tenantJson({ tenant, domains, address }: TenantView): TenantJson {
  return {
    uuid: tenant.uuid,
    parent_uuid: tenant.parent.uuid,
    name: tenant.name,
    slug: tenant.slug,
    contact: tenant.contact?.uuid ?? null,
    phone: tenant.phone,
    default_authentication_method: tenant.defaultAuthenticationMethod,
    domain_names: domains.map((domain) => domain.name).sort(),
    address: addressJson(address),
  };
}

/** `GET /tenants/{tenant_uuid}/domains` items. */
export const domainJson = (domain: TenantDomain) => ({ name: domain.name, uuid: domain.uuid });
