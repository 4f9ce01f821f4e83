import { requireAcl } from '../authz/require-acl.js';
import { scopedSteps } from '../authz/scoped.js';
import { resolveScopingTenant } from '../authz/scoping-tenant.js';
import type { Database } from '../entities/orm.js';
import { errors } from '../http/errors.js';
import { listQuery } from '../http/list-query.js';
import { empty, type HttpRequest, json } from '../http/request.js';
import type { Route } from '../http/route.js';
import type { TenantHierarchy } from '../tenants/hierarchy.js';
import type { TokenService } from '../tokens/service.js';
import { assertMayAdd, assertMayRemove } from './escalation.js';
import { aclOf, isReadOnly, policyJson } from './format.js';
import { findPolicy } from './lookup.js';
import { noSuchPolicy, policyParamSteps, policyRef, readAccessParam } from './reference.js';
import { PolicyRepository } from './repository.js';
import { checkAccessParam, POLICY_LIST, parsePolicyPost, parsePolicyPut } from './schemas.js';
import { policyScope } from './scope.js';

export interface PolicyRouteDependencies {
  orm: Database;
  tokens: TokenService;
  hierarchy: TenantHierarchy;
}

/**
 * `POST|GET /policies`, `GET|PUT|DELETE /policies/{policy_uuid|policy_slug}` and
 * `PUT|DELETE /policies/{policy_uuid|policy_slug}/acl/{access}` (policies.md §4).
 */
export function policyRoutes({ orm, tokens, hierarchy }: PolicyRouteDependencies): Route[] {
  const policies = new PolicyRepository(orm);
  const scopingTenant = resolveScopingTenant(orm, hierarchy);
  const scoped = scopedSteps(tokens, scopingTenant);

  /** One route pattern serves both upstream variants: the value decides (policies.md §4). */
  const onePolicy = policyParamSteps(scoped, 'auth.policies.{policy}');

  const resolve = (request: HttpRequest) =>
    findPolicy({ policies, hierarchy }, request.params.policy!, request.locals.tenantUuid!);

  /**
   * One ACL entry of a policy. Upstream checks neither read-only state nor ownership there, so a
   * sub-tenant administrator could edit its parent's shared policies and the platform's config-managed
   * ones: here the rules of `PUT /policies/{policy}` apply (403), after the visibility check (404).
   */
  const accessSteps = [readAccessParam('access'), ...onePolicy('update')];
  const editable = async (request: HttpRequest) => {
    const found = await resolve(request);
    if (isReadOnly(found.policy, found.scope)) throw forbidden(found.policy.uuid);
    return found;
  };

  return [
    {
      method: 'POST',
      path: '/policies',
      readsBody: true,
      steps: [requireAcl(tokens, 'auth.policies.create')],
      async handle(request) {
        // Upstream validates the body before it looks at Wazo-Tenant.
        const body = parsePolicyPost(request.body);
        await scopingTenant(request);
        assertMayAdd(request.locals.token!, body.acl);
        const tenant = request.locals.tenantUuid!;
        const [above, below] = await Promise.all([
          hierarchy.ancestors(tenant),
          body.shared ? hierarchy.visibleTenants(tenant) : [],
        ]);
        const policy = await policies.create({ ...body, tenant }, { above, below });
        return json(policyJson(policy));
      },
    },
    {
      method: 'GET',
      path: '/policies',
      steps: [requireAcl(tokens, 'auth.policies.read')],
      async handle(request) {
        const params = listQuery(request.query, POLICY_LIST);
        await scopingTenant(request);
        // The list schema accepts it, upstream's paginator then has no such column.
        if (params.order === 'read_only') throw errors.legacy(400, 'Invalid sort column: read_only');
        const scope = await policyScope(hierarchy, request.locals.tenantUuid!, params.recurse);
        const { items, total } = await policies.list(scope, params, params.booleans.read_only);
        return json({ items: items.map((policy) => policyJson(policy, scope)), total });
      },
    },
    {
      method: 'GET',
      path: '/policies/{policy}',
      steps: onePolicy('read'),
      async handle(request) {
        const { policy, scope } = await resolve(request);
        return json(policyJson(policy, scope));
      },
    },
    {
      method: 'PUT',
      path: '/policies/{policy}',
      readsBody: true,
      steps: onePolicy('update'),
      async handle(request) {
        const token = request.locals.token!;
        // Upstream resolves a slug before it reads the body, a UUID only after the escalation guard.
        const bySlug = 'slug' in policyRef(request.params.policy!) ? await resolve(request) : null;
        const body = parsePolicyPut(request.body);
        assertMayAdd(token, body.acl);
        const { policy, scope } = bySlug ?? (await resolve(request));
        const kept = new Set(body.acl);
        assertMayRemove(
          token,
          aclOf(policy).filter((access) => !kept.has(access)),
        );
        if (isReadOnly(policy, scope)) throw forbidden(policy.uuid);
        const updated = await policies.update(policy.uuid, scope.own, body);
        if (!updated) throw noSuchPolicy({ uuid: policy.uuid });
        return json(policyJson(updated));
      },
    },
    {
      method: 'DELETE',
      path: '/policies/{policy}',
      steps: onePolicy('delete'),
      async handle(request) {
        const { policy, scope } = await resolve(request);
        assertMayRemove(request.locals.token!, aclOf(policy));
        if (isReadOnly(policy, scope)) throw forbidden(policy.uuid);
        if (!(await policies.delete(policy.uuid, scope.own))) throw noSuchPolicy({ uuid: policy.uuid });
        return empty(204);
      },
    },
    {
      method: 'PUT',
      path: '/policies/{policy}/acl/{access}',
      steps: accessSteps,
      async handle(request) {
        const access = request.params.access!;
        checkAccessParam(access);
        assertMayAdd(request.locals.token!, [access]);
        const { ref, policy, scope } = await editable(request);
        const outcome = await policies.addAccess(policy.uuid, scope.own, access);
        if (outcome === 'gone') throw noSuchPolicy(ref);
        if (outcome === 'present') throw errors.legacy(409, `Policy already associated to ${access}`);
        return empty(204);
      },
    },
    {
      method: 'DELETE',
      path: '/policies/{policy}/acl/{access}',
      steps: accessSteps,
      async handle(request) {
        const access = request.params.access!;
        assertMayRemove(request.locals.token!, [access]);
        const { policy, scope } = await editable(request);
        await policies.removeAccess(policy.uuid, scope.own, access);
        return empty(204);
      },
    },
  ];
}

/** Read-only policies (config-managed or inherited) can be neither changed nor deleted: one text for both. */
const forbidden = (uuid: string) => errors.legacy(403, `Forbidden policy deletion: "${uuid}"`);
