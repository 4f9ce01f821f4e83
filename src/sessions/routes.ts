import { requireAcl } from '../authz/require-acl.js';
import { resolveScopingTenant } from '../authz/scoping-tenant.js';
import { Session, Token } from '../entities/index.js';
import type { Database } from '../entities/orm.js';
import type { Json } from '../http/errors.js';
import { listQuery } from '../http/list-query.js';
import { empty, type HttpRequest, json } from '../http/request.js';
import type { Route } from '../http/route.js';
import type { TenantHierarchy } from '../tenants/hierarchy.js';
import { visibleUserOrFail } from '../tenants/visible-user.js';
import type { TokenService } from '../tokens/service.js';
import type { ListParams } from '../validation/index.js';
import { isCanonicalV4 } from '../validation/uuid.js';

export interface SessionRouteDependencies {
  orm: Database;
  tokens: TokenService;
  hierarchy: TenantHierarchy;
}

/** Sessions lists sort on `mobile` only, have no default order, and ignore search and filters. */
const SESSIONS = { sortable: ['mobile'], filters: [] } as const;

function sessionItem(token: Token): Json {
  return {
    uuid: token.session.uuid,
    mobile: token.session.mobile,
    tenant_uuid: token.session.tenant.uuid,
    user_uuid: isCanonicalV4(token.authId) ? token.authId : null,
  };
}

/** Sessions (sessions.md §2): listed through their tokens, deleted by revoking their token. */
export function sessionRoutes({ orm, tokens, hierarchy }: SessionRouteDependencies): Route[] {
  const scoping = resolveScopingTenant(orm, hierarchy);

  const list = async (params: ListParams, where: object) => {
    const em = orm.em.fork();
    const total = await em.count(Token, where);
    const rows = await em.find(Token, where, {
      populate: ['session'],
      ...(params.order ? { orderBy: { session: { mobile: params.direction } } } : {}),
      ...(params.limit !== null ? { limit: params.limit } : {}),
      offset: params.offset,
    });
    return json({ total, filtered: total, items: rows.map(sessionItem) });
  };

  /**
   * Always 204: a session outside the caller's tenants, or unknown, or (with `owner`) not that user's, is
   * left alone silently.
   */
  const remove = async (request: HttpRequest, owner?: string) => {
    const visible = await hierarchy.visibleTenants(request.locals.tenantUuid!);
    const session = { uuid: request.params.session_uuid!, tenant: { $in: visible } };
    const token = await orm.em.fork().findOne(Token, { session });
    if (token) {
      if (owner === undefined || token.authId === owner) await tokens.revoke(token.uuid);
    } else if (owner === undefined) await orm.em.fork().nativeDelete(Session, session);
    return empty(204);
  };

  return [
    {
      method: 'GET',
      path: '/sessions',
      steps: [requireAcl(tokens, 'auth.sessions.read'), scoping],
      async handle(request) {
        const params = listQuery(request.query, SESSIONS);
        const tenants = await hierarchy.listed(request.locals.tenantUuid!, params.recurse);
        return list(params, { session: { tenant: { $in: tenants } } });
      },
    },
    {
      method: 'DELETE',
      path: '/sessions/{session_uuid:uuid}',
      steps: [requireAcl(tokens, 'auth.sessions.{session_uuid}.delete'), scoping],
      handle: (request) => remove(request),
    },
    {
      method: 'GET',
      path: '/users/{user_uuid:uuid}/sessions',
      steps: [requireAcl(tokens, 'auth.users.{user_uuid}.sessions.read'), scoping],
      async handle(request) {
        const params = listQuery(request.query, SESSIONS);
        const user = await visibleUserOrFail(
          orm,
          hierarchy,
          request.params.user_uuid!,
          request.locals.tenantUuid!,
        );
        return list(params, { authId: user.uuid });
      },
    },
    {
      method: 'DELETE',
      path: '/users/{user_uuid:uuid}/sessions/{session_uuid:uuid}',
      steps: [requireAcl(tokens, 'auth.users.{user_uuid}.sessions.{session_uuid}.delete'), scoping],
      async handle(request) {
        // Upstream checks the user is visible but not that the session is that user's (sessions.md §2),
        // so anyone allowed on their own sessions could end any session of their tenants: not here.
        const user = await visibleUserOrFail(
          orm,
          hierarchy,
          request.params.user_uuid!,
          request.locals.tenantUuid!,
        );
        return remove(request, user.uuid);
      },
    },
  ];
}
