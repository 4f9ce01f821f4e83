import { requireAcl } from '../authz/require-acl.js';
import { scopedSteps } from '../authz/scoped.js';
import { resolveScopingTenant } from '../authz/scoping-tenant.js';
import type { Database } from '../entities/orm.js';
import { errors, type Json } from '../http/errors.js';
import { listQuery } from '../http/list-query.js';
import { empty, type HttpRequest, json } from '../http/request.js';
import type { Route } from '../http/route.js';
import type { TenantHierarchy } from '../tenants/hierarchy.js';
import { visibleUser } from '../tenants/visible-user.js';
import type { TokenService } from '../tokens/service.js';
import type { ListEndpoint } from '../validation/index.js';
import type { Blob, ExternalAuthStore } from './store.js';

export interface ExternalAuthRouteDependencies {
  orm: Database;
  tokens: TokenService;
  hierarchy: TenantHierarchy;
  store: ExternalAuthStore;
}

const USER_EXTERNAL_LIST: ListEndpoint = { sortable: ['type'], defaultOrder: 'type', filters: ['type'] };
/** Upstream's base list schema: no sort column at all, and the parameters are not applied but paging. */
const CONNECTED_USERS_LIST: ListEndpoint = { sortable: [], filters: [] };

/**
 * A tenant configuration is any JSON object (upstream stores whatever it is sent: requiring an object is
 * the spec's safe tightening); a literal `null` body counts as `{}`, as for every JSON body.
 */
function configBody(request: HttpRequest): Blob {
  const body = request.body ?? null;
  if (body === null) return {};
  if (typeof body !== 'object' || Array.isArray(body)) {
    throw errors.invalidData(
      'external',
      { _schema: { constraint_id: 'type', constraint: 'dict', message: 'Invalid input type.' } },
      'Invalid input type.',
    );
  }
  return body as { [key: string]: Json };
}

/**
 * The generic external auth API (external-auth.md §3): the types a user has data for, each tenant's
 * configuration of a type, and the users of a type.
 */
export function externalAuthRoutes({
  orm,
  tokens,
  hierarchy,
  store,
}: ExternalAuthRouteDependencies): Route[] {
  const scopingTenant = resolveScopingTenant(orm, hierarchy);
  const scoped = scopedSteps(tokens, scopingTenant);
  const tenantOf = (request: HttpRequest) => request.locals.tenantUuid!;
  const type = (request: HttpRequest) => request.params.auth_type!;

  return [
    {
      method: 'GET',
      path: '/users/{user_uuid:uuid}/external',
      summary: 'The enabled external auth types, and whether the user has data for each',
      steps: scoped('auth.users.{user_uuid}.external.read'),
      async handle(request) {
        const params = listQuery(request.query, USER_EXTERNAL_LIST);
        const user = request.params.user_uuid!;
        // Upstream does not check the user: an unknown one, like one of another tenant here (tenant
        // isolation), has no data.
        const visible = await visibleUser(orm, hierarchy, user, tenantOf(request));
        const { total, filtered, items } = await store.listForUser(visible ? user : null, params);
        return json({
          total,
          filtered,
          items: items.map((item) => ({ ...item, data: {}, plugin_info: {} })),
        });
      },
    },
    {
      method: 'GET',
      path: '/external/{auth_type}/config',
      summary: "The scoping tenant's configuration of an external auth type",
      steps: scoped('auth.{auth_type}.external.config.read'),
      handle: async (request) => json(await store.config(type(request), tenantOf(request))),
    },
    {
      method: 'POST',
      path: '/external/{auth_type}/config',
      readsBody: true,
      steps: scoped('auth.{auth_type}.external.config.create'),
      async handle(request) {
        await store.createConfig(type(request), tenantOf(request), configBody(request));
        // Upstream answers an empty string, serialised as JSON.
        return json('', 201);
      },
    },
    {
      method: 'PUT',
      path: '/external/{auth_type}/config',
      readsBody: true,
      steps: scoped('auth.{auth_type}.external.config.update'),
      async handle(request) {
        await store.replaceConfig(type(request), tenantOf(request), configBody(request));
        return empty(204);
      },
    },
    {
      method: 'DELETE',
      path: '/external/{auth_type}/config',
      steps: scoped('auth.{auth_type}.external.config.delete'),
      async handle(request) {
        await store.deleteConfig(type(request), tenantOf(request));
        return empty(204);
      },
    },
    {
      method: 'GET',
      path: '/external/{auth_type}/users',
      summary: 'Users of the tenant with data for the type and an open session',
      steps: [requireAcl(tokens, 'auth.{auth_type}.external.users.read')],
      async handle(request) {
        const params = listQuery(request.query, CONNECTED_USERS_LIST);
        await scopingTenant(request);
        const tenants = await hierarchy.listed(tenantOf(request), params.recurse);
        const { total, uuids } = await store.connectedUsers(type(request), tenants, params);
        return json({ total, filtered: total, items: uuids.map((uuid) => ({ uuid })) });
      },
    },
  ];
}
