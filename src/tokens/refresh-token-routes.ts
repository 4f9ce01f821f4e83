import { requireAcl } from '../authz/require-acl.js';
import { resolveScopingTenant } from '../authz/scoping-tenant.js';
import { RefreshToken } from '../entities/index.js';
import type { Database } from '../entities/orm.js';
import { errors, type Json } from '../http/errors.js';
import { listQuery } from '../http/list-query.js';
import { empty, type HttpRequest, json } from '../http/request.js';
import type { Route } from '../http/route.js';
import type { TenantHierarchy } from '../tenants/hierarchy.js';
import { visibleUserOrFail } from '../tenants/visible-user.js';
import type { ListParams } from '../validation/index.js';
import type { RefreshTokenRepository } from './refresh-tokens.js';
import type { TokenService } from './service.js';

export interface RefreshTokenRouteDependencies {
  orm: Database;
  tokens: TokenService;
  refreshTokens: RefreshTokenRepository;
  hierarchy: TenantHierarchy;
}

const REFRESH_TOKENS = {
  sortable: ['created_at', 'client_id', 'mobile'],
  defaultOrder: 'created_at',
  filters: ['created_at', 'client_id'],
  booleans: ['mobile'],
} as const;

const COLUMNS = { created_at: 'createdAt', client_id: 'clientId', mobile: 'mobile' } as const;

/** `2026-11-29T00:38:58.595155+00:00`: microseconds and a numeric offset, never `Z` (tokens.md §7). */
function createdAt(date: Date | null): string | null {
  return date ? date.toISOString().replace(/\.(\d{3})Z$/, '.$1000+00:00') : null;
}

function item(row: RefreshToken): Json {
  return {
    client_id: row.clientId,
    created_at: createdAt(row.createdAt),
    mobile: row.mobile,
    user_uuid: row.user?.uuid ?? null,
    tenant_uuid: row.user?.tenant.uuid ?? null,
    metadata: row.metadata as Json,
  };
}

/**
 * Refresh-token lists and deletion by client id (tokens.md §7). The token values are never listed. Unlike
 * upstream, deleting a refresh token also revokes the access tokens minted from it.
 */
export function refreshTokenRoutes({
  orm,
  tokens,
  refreshTokens,
  hierarchy,
}: RefreshTokenRouteDependencies): Route[] {
  const scoping = resolveScopingTenant(orm, hierarchy);

  const list = async (params: ListParams, scope: object) => {
    const conditions: object[] = [scope];
    if (params.filters.client_id !== undefined) conditions.push({ clientId: params.filters.client_id });
    if (params.filters.created_at !== undefined) conditions.push({ createdAt: params.filters.created_at });
    if (params.booleans.mobile !== undefined) conditions.push({ mobile: params.booleans.mobile });
    if (params.searchPattern !== null) conditions.push({ clientId: { $ilike: params.searchPattern } });
    const em = orm.em.fork();
    const where = { $and: conditions };
    const column = COLUMNS[(params.order ?? 'created_at') as keyof typeof COLUMNS];
    const rows = await em.find(RefreshToken, where, {
      populate: ['user.tenant'],
      orderBy: { [column]: params.direction },
      ...(params.limit !== null ? { limit: params.limit } : {}),
      offset: params.offset,
    });
    return json({
      total: await em.count(RefreshToken, scope),
      filtered: await em.count(RefreshToken, where),
      items: rows.map(item),
    });
  };

  const ownListing = async (request: HttpRequest, userUuid: string) => {
    const params = listQuery(request.query, REFRESH_TOKENS);
    const user = await visibleUserOrFail(orm, hierarchy, userUuid, request.locals.tenantUuid!);
    return list(params, { user: user.uuid });
  };

  const remove = async (request: HttpRequest, userUuid: string) => {
    const user = await visibleUserOrFail(orm, hierarchy, userUuid, request.locals.tenantUuid!);
    const clientId = request.params.client_id!;
    const deleted = await refreshTokens.deleteWithMinted({ user: user.uuid, clientId });
    if (!deleted) throw errors.refreshTokenNotFound(clientId);
    // The access tokens it minted went with it: no worker or instance may answer them from memory.
    await tokens.evicted(deleted.revoked);
    return empty(204);
  };

  const caller = (request: HttpRequest) => request.locals.token!.userUuid ?? '';

  return [
    {
      method: 'GET',
      path: '/tokens',
      steps: [requireAcl(tokens, 'auth.tokens.read'), scoping],
      async handle(request) {
        const params = listQuery(request.query, REFRESH_TOKENS);
        const tenants = await hierarchy.listed(request.locals.tenantUuid!, params.recurse);
        return list(params, { user: { tenant: { $in: tenants } } });
      },
    },
    {
      method: 'GET',
      path: '/users/{user_uuid:uuid}/tokens',
      steps: [requireAcl(tokens, 'auth.users.{user_uuid}.tokens.read'), scoping],
      handle: (request) => ownListing(request, request.params.user_uuid!),
    },
    {
      method: 'GET',
      path: '/users/me/tokens',
      steps: [requireAcl(tokens, 'auth.users.me.tokens.read'), scoping],
      handle: (request) => ownListing(request, caller(request)),
    },
    {
      method: 'DELETE',
      path: '/users/{user_uuid:uuid}/tokens/{client_id}',
      steps: [requireAcl(tokens, 'auth.users.{user_uuid}.tokens.{client_id}.delete'), scoping],
      handle: (request) => remove(request, request.params.user_uuid!),
    },
    {
      method: 'DELETE',
      path: '/users/me/tokens/{client_id}',
      steps: [requireAcl(tokens, 'auth.users.me.tokens.{client_id}.delete'), scoping],
      handle: (request) => remove(request, caller(request)),
    },
  ];
}
