import { requireAcl } from '../authz/require-acl.js';
import { scopedSteps } from '../authz/scoped.js';
import { resolveScopingTenant } from '../authz/scoping-tenant.js';
import { User } from '../entities/index.js';
import type { Database } from '../entities/orm.js';
import { errors } from '../http/errors.js';
import { empty, type HttpRequest, json } from '../http/request.js';
import type { Route, Step } from '../http/route.js';
import type { TenantHierarchy } from '../tenants/hierarchy.js';
import type { TokenService } from '../tokens/service.js';
import { field, firstError, schema } from '../validation/index.js';
import type { LoginMethods } from './registry.js';

export interface IdpRouteDependencies {
  orm: Database;
  tokens: TokenService;
  hierarchy: TenantHierarchy;
  methods: LoginMethods;
}

/** `PUT /idp/{idp_type}/users`: `{"users": [{"uuid": …}, …]}`. */
const bulkSchema = schema({
  users: field.list(field.nested(schema({ uuid: field.string().required() }))).required(),
});

/**
 * The login-method assignment API (idp.md §3): which methods exist, and the users that must log in
 * through one. Assignments publish no event, as upstream.
 */
export function idpRoutes({ orm, tokens, hierarchy, methods }: IdpRouteDependencies): Route[] {
  const scoped = scopedSteps(tokens, resolveScopingTenant(orm, hierarchy));
  /** The type is checked before anything else the route does. */
  const knownType: Step = (request) => {
    if (!methods.assignable().has(request.params.idp_type!))
      throw errors.unknownIdpType(request.params.idp_type!);
  };
  const visibleTenants = (request: HttpRequest) => hierarchy.visibleTenants(request.locals.tenantUuid!);

  /** Applies `change` to users all visible from the scoping tenant, in one transaction: all or none. */
  const assign = (request: HttpRequest, uuids: readonly string[], change: (user: User) => void) =>
    orm.em.fork().transactional(async (em) => {
      const tenants = await visibleTenants(request);
      for (const uuid of uuids) {
        const user = await em.findOne(User, { uuid, tenant: { $in: tenants } });
        if (!user) throw errors.unknown('users', uuid);
        change(user);
      }
    });
  const setTo = (type: string) => (user: User) => {
    user.authenticationMethod = type;
  };

  return [
    {
      method: 'GET',
      path: '/idp',
      summary: 'The login methods a user or tenant may be given',
      steps: [requireAcl(tokens, 'auth.idp.read')],
      handle() {
        const items = methods.listed();
        return json({ total: items.length, filtered: items.length, items });
      },
    },
    {
      method: 'PUT',
      path: '/idp/{idp_type}/users/{user_uuid:uuid}',
      steps: scoped('auth.idp.{idp_type}.users.{user_uuid}.create', knownType),
      async handle(request) {
        await assign(request, [request.params.user_uuid!], setTo(request.params.idp_type!));
        return empty(204);
      },
    },
    {
      method: 'DELETE',
      path: '/idp/{idp_type}/users/{user_uuid:uuid}',
      steps: scoped('auth.idp.{idp_type}.users.{user_uuid}.delete', knownType),
      async handle(request) {
        const type = request.params.idp_type!;
        await assign(request, [request.params.user_uuid!], (user) => {
          if (user.authenticationMethod === type) user.authenticationMethod = 'default';
        });
        return empty(204);
      },
    },
    {
      method: 'PUT',
      path: '/idp/{idp_type}/users',
      readsBody: true,
      steps: scoped('auth.idp.{idp_type}.users.update', knownType),
      async handle(request) {
        const loaded = bulkSchema.load(request.body ?? null);
        if (!loaded.ok) {
          const { message, details } = firstError(loaded.errors);
          throw errors.invalidListBody(details, message);
        }
        const uuids = loaded.value.users.map((user) => user.uuid);
        await assign(request, uuids, setTo(request.params.idp_type!));
        return empty(204);
      },
    },
  ];
}
