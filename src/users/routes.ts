import { WazoUserBackend } from '../authentication/wazo-user.js';
import { scopedSteps } from '../authz/scoped.js';
import { callerTenant, resolveScopingTenant } from '../authz/scoping-tenant.js';
import { userVisibility } from '../authz/user-visibility.js';
import type { Database } from '../entities/orm.js';
import { errors } from '../http/errors.js';
import { listQuery } from '../http/list-query.js';
import { empty, type HttpRequest, json } from '../http/request.js';
import type { Route } from '../http/route.js';
import { hashPassword } from '../passwords/index.js';
import { PolicyRepository } from '../policies/repository.js';
import type { TenantHierarchy } from '../tenants/hierarchy.js';
import type { TokenService } from '../tokens/service.js';
import { chooseAuthenticationMethod } from './authentication-method.js';
import { createdUserJson, userJson } from './format.js';
import { userLoginRoutes } from './login-routes.js';
import { userPolicyRoutes } from './policy-routes.js';
import { UserRepository } from './repository.js';
import { parseUserPost, parseUserPut, USER_LIST } from './schemas.js';

export interface UserRouteDependencies {
  orm: Database;
  tokens: TokenService;
  hierarchy: TenantHierarchy;
  /** Decides which `authentication_method` values are accepted. */
  /** The accepted `authentication_method` values: the login methods loaded (idp.md §3.1). */
  authenticationMethods: ReadonlySet<string>;
}

const NO_PASSWORD = { hash: null, salt: null };

/**
 * `GET|POST /users`, `GET|PUT|DELETE /users/{user_uuid}`, the password and address lists, and the
 * user↔policy links (users.md §3).
 */
export function userRoutes({
  orm,
  tokens,
  hierarchy,
  authenticationMethods,
}: UserRouteDependencies): Route[] {
  const users = new UserRepository(orm);
  const scopingTenant = resolveScopingTenant(orm, hierarchy);
  const scoped = scopedSteps(tokens, scopingTenant);
  const methods = authenticationMethods;
  /** A single user is reachable from any tenant of the scoping tenant's subtree (conventions.md §3). */
  const visibleTenants = (request: HttpRequest) => hierarchy.visibleTenants(request.locals.tenantUuid!);
  const visible = userVisibility(orm, hierarchy);

  return [
    {
      method: 'GET',
      path: '/users',
      steps: scoped('auth.users.read'),
      async handle(request) {
        const params = listQuery(request.query, USER_LIST);
        const tenants = await hierarchy.listed(request.locals.tenantUuid!, params.recurse);
        const { items, total, filtered } = await users.list(tenants, params);
        return json({ total, filtered, items: items.map(userJson) });
      },
    },
    {
      method: 'POST',
      path: '/users',
      readsBody: true,
      steps: scoped('auth.users.create'),
      async handle(request) {
        const body = parseUserPost(request.body);
        const authenticationMethod = chooseAuthenticationMethod(
          body.authentication_method,
          body.purpose,
          methods,
        );
        const user = await users.create({
          uuid: body.uuid,
          username: body.username,
          password: body.password ? await hashPassword(body.password) : NO_PASSWORD,
          firstname: body.firstname,
          lastname: body.lastname,
          purpose: body.purpose,
          authenticationMethod,
          enabled: body.enabled,
          emailAddress: body.email_address,
          // The body's `tenant_uuid` is ignored: the owner is the scoping tenant.
          tenant: request.locals.tenantUuid!,
        });
        return json(createdUserJson(user));
      },
    },
    {
      method: 'GET',
      path: '/users/{user_uuid:uuid}',
      steps: scoped('auth.users.{user_uuid}.read'),
      async handle(request) {
        const uuid = request.params.user_uuid!;
        const user = await users.findIn(uuid, await visibleTenants(request));
        if (!user) throw errors.unknown('users', uuid);
        return json(userJson(user));
      },
    },
    {
      method: 'PUT',
      path: '/users/{user_uuid:uuid}',
      readsBody: true,
      steps: scoped('auth.users.{user_uuid}.update'),
      async handle(request) {
        const uuid = request.params.user_uuid!;
        // A full replacement: omitted fields are reset, the method derived from the purpose again.
        const body = parseUserPut(request.body);
        const authenticationMethod = chooseAuthenticationMethod(
          body.authentication_method,
          body.purpose,
          methods,
        );
        const user = await users.update(uuid, await visibleTenants(request), {
          username: body.username,
          firstname: body.firstname,
          lastname: body.lastname,
          purpose: body.purpose,
          authenticationMethod,
          enabled: body.enabled,
        });
        if (!user) throw errors.unknown('users', uuid);
        // Disabling ends every session (sessions.md §4), even of a user disabled already. Upstream does it
        // before writing; here it follows the commit, so that a refused update revokes nothing.
        if (!body.enabled) await tokens.revokeUserSessions(uuid);
        return json(userJson(user));
      },
    },
    {
      method: 'DELETE',
      path: '/users/{user_uuid:uuid}',
      steps: scoped('auth.users.{user_uuid}.delete'),
      async handle(request) {
        const uuid = request.params.user_uuid!;
        if (!(await users.deleteIn(uuid, await visibleTenants(request)))) throw errors.unknown('users', uuid);
        // Unlike upstream (sessions.md §4), the user's tokens end with it, on every worker and instance,
        // before the answer. After the delete: a login of that user still queued in its actor re-checks
        // the user there and gets nothing.
        await tokens.revokeUserSessions(uuid);
        return empty(204);
      },
    },
    ...userLoginRoutes({ tokens, users, backend: new WazoUserBackend(orm), visible }),
    ...userPolicyRoutes({
      tokens,
      hierarchy,
      users,
      policies: new PolicyRepository(orm),
      scopingTenant,
      visible,
      ownTenant: (request) => callerTenant(orm, hierarchy, request.locals.token!),
    }),
  ];
}
