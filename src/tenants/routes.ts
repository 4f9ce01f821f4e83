import { scopedSteps } from '../authz/scoped.js';
import { resolveScopingTenant } from '../authz/scoping-tenant.js';
import type { Outbox } from '../bus/outbox.js';
import type { Database } from '../entities/orm.js';
import { errors } from '../http/errors.js';
import { listQuery } from '../http/list-query.js';
import { empty, type HttpRequest, type HttpResponse, json } from '../http/request.js';
import type { Route } from '../http/route.js';
import type { Logger } from '../log/logger.js';
import type { ProvisioningConfig } from '../provisioning/index.js';
import type { TokenService } from '../tokens/service.js';
import { domainJson, type TenantView, tenantJson } from './format.js';
import type { TenantHierarchy } from './hierarchy.js';
import { type TenantFields, TenantRepository } from './repository.js';
import {
  authenticationMethodCheck,
  parseTenantPost,
  parseTenantPut,
  TENANT_LIST,
  type TenantPut,
} from './schemas.js';

export interface TenantRouteDependencies {
  orm: Database;
  outbox: Outbox;
  tokens: TokenService;
  hierarchy: TenantHierarchy;
  /** What new tenants receive (provisioning). */
  config: ProvisioningConfig;
  /** The accepted `default_authentication_method` values: the login methods loaded (idp.md §3.1). */
  authenticationMethods: ReadonlySet<string>;
  logger: Logger;
}

/** The body's fields; the contact must be a user of `contactTenants` (the scoping tenant's visible ones). */
const fieldsOf = (body: TenantPut, contactTenants: readonly string[]): TenantFields => ({
  name: body.name,
  contact: body.contact,
  contactTenants,
  phone: body.phone,
  defaultAuthenticationMethod: body.default_authentication_method,
  domainNames: body.domain_names,
  address: body.address,
});

/** The tenant object, or `404 unknown-tenant` when the tenant is gone (deleted meanwhile). */
function tenantAnswer(uuid: string, view: TenantView | null): HttpResponse {
  if (!view) throw errors.unknown('tenants', uuid);
  return json(tenantJson(view));
}

/**
 * `GET|POST /tenants`, `GET|PUT|DELETE /tenants/{tenant_uuid}`, `GET /tenants/{tenant_uuid}/domains`
 * and `PUT /tenants/{tenant_uuid}/parent/{parent_tenant_uuid}` (tenants.md §3).
 */
export function tenantRoutes({
  orm,
  authenticationMethods,
  outbox,
  tokens,
  hierarchy,
  config,
  logger,
}: TenantRouteDependencies): Route[] {
  const tenants = new TenantRepository(orm, outbox);
  const scopingTenant = resolveScopingTenant(orm, hierarchy);
  const scoped = scopedSteps(tokens, scopingTenant);
  const checkAuthenticationMethod = authenticationMethodCheck(authenticationMethods);
  const provisioning = { config, log: logger };

  /** The tenant if the scoping tenant sees it (itself or a descendant), else `404 unknown-tenant`. */
  const assertVisible = async (request: HttpRequest, uuid: string): Promise<void> => {
    if (!(await hierarchy.visibleTenants(request.locals.tenantUuid!)).includes(uuid)) {
      throw errors.unknown('tenants', uuid);
    }
  };

  return [
    {
      method: 'GET',
      path: '/tenants',
      steps: scoped('auth.tenants.read'),
      async handle(request) {
        const params = listQuery(request.query, TENANT_LIST);
        // `recurse` is ignored: always the scoping tenant and all its descendants.
        const visible = await hierarchy.visibleTenants(request.locals.tenantUuid!);
        const { items, total, filtered } = await tenants.list(visible, params);
        return json({ total, filtered, items: items.map(tenantJson) });
      },
    },
    {
      method: 'POST',
      path: '/tenants',
      readsBody: true,
      steps: scoped('auth.tenants.create'),
      async handle(request) {
        const body = parseTenantPost(request.body);
        checkAuthenticationMethod(body.default_authentication_method);
        // The contact: a user the scoping tenant sees, not any tenant's (tenant isolation, #18 item 11).
        const visible = await hierarchy.visibleTenants(request.locals.tenantUuid!);
        const created = await tenants.create(
          {
            ...fieldsOf(body, visible),
            uuid: body.uuid,
            slug: body.slug,
            // The body's `parent_uuid` is ignored: the parent is the scoping tenant.
            parent: request.locals.tenantUuid!,
          },
          provisioning,
        );
        return json(tenantJson(created));
      },
    },
    {
      method: 'GET',
      path: '/tenants/{tenant_uuid:uuid}',
      steps: scoped('auth.tenants.{tenant_uuid}.read'),
      async handle(request) {
        const uuid = request.params.tenant_uuid!;
        await assertVisible(request, uuid);
        return tenantAnswer(uuid, await tenants.find(uuid));
      },
    },
    {
      method: 'PUT',
      path: '/tenants/{tenant_uuid:uuid}',
      readsBody: true,
      steps: scoped('auth.tenants.{tenant_uuid}.update'),
      async handle(request) {
        const uuid = request.params.tenant_uuid!;
        const body = parseTenantPut(request.body);
        checkAuthenticationMethod(body.default_authentication_method);
        await assertVisible(request, uuid);
        // The contact: a user the scoping tenant sees, not any tenant's (tenant isolation, #18 item 11).
        const visible = await hierarchy.visibleTenants(request.locals.tenantUuid!);
        return tenantAnswer(uuid, await tenants.update(uuid, fieldsOf(body, visible)));
      },
    },
    {
      method: 'DELETE',
      path: '/tenants/{tenant_uuid:uuid}',
      steps: scoped('auth.tenants.{tenant_uuid}.delete'),
      async handle(request) {
        const uuid = request.params.tenant_uuid!;
        if (uuid === request.locals.tenantUuid) throw errors.deletingOwnTenant(uuid);
        await assertVisible(request, uuid);
        const deletedTokens = await tenants.delete(uuid);
        if (deletedTokens === null) throw errors.unknown('tenants', uuid);
        // The database no longer has them: they must not answer from memory either.
        await tokens.evicted(deletedTokens);
        return empty(204);
      },
    },
    {
      method: 'GET',
      path: '/tenants/{tenant_uuid:uuid}/domains',
      // Upstream does not scope this one (any existing tenant): here, as for GET /tenants/{uuid}, only a
      // tenant of the scoping tenant's subtree.
      steps: scoped('auth.tenants.{tenant_uuid}.domains.read'),
      async handle(request) {
        const uuid = request.params.tenant_uuid!;
        await assertVisible(request, uuid);
        const domains = await tenants.domains(uuid);
        if (domains === null) throw errors.unknown('tenants', uuid);
        return json({ total: domains.length, items: domains.map(domainJson) });
      },
    },
    {
      method: 'PUT',
      path: '/tenants/{tenant_uuid:uuid}/parent/{parent_tenant_uuid:uuid}',
      steps: scoped('auth.tenants.{tenant_uuid}.parent.{parent_tenant_uuid}.update'),
      async handle(request) {
        const uuid = request.params.tenant_uuid!;
        const parent = request.params.parent_tenant_uuid!;
        await assertVisible(request, uuid);
        await assertVisible(request, parent);
        if (!(await tenants.reparent(uuid, parent, await hierarchy.masterUuid())))
          throw errors.unknown('tenants', uuid);
        return empty(204);
      },
    },
  ];
}
