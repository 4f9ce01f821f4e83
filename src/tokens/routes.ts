import { parseBasicAuth } from '../authentication/basic.js';
import type { Database } from '../entities/orm.js';
import { errors, HttpError } from '../http/errors.js';
import { empty, json } from '../http/request.js';
import type { Route } from '../http/route.js';
import type { TenantHierarchy } from '../tenants/hierarchy.js';
import type { LoginThrottle, Outcome } from '../throttle/index.js';
import { checkScope, checkTenant } from './check.js';
import { tokenJson } from './format.js';
import type { LoginService } from './login.js';
import { parseScopesCheck, parseTokenRequest } from './request-schemas.js';
import type { TokenService } from './service.js';

export interface TokenRouteDependencies {
  orm: Database;
  tokens: TokenService;
  login: LoginService;
  hierarchy: TenantHierarchy;
  /** `default_token_lifetime`. */
  defaultExpiration: number;
  /** Brute-force protection of `POST /token`; none: every login is verified. */
  throttle?: LoginThrottle;
}

/** `POST /token`, `GET|HEAD|DELETE /token/{token}`, `POST /token/{token}/scopes/check` (tokens.md). */
export function tokenRoutes({
  orm,
  tokens,
  login,
  hierarchy,
  defaultExpiration,
  throttle,
}: TokenRouteDependencies): Route[] {
  const live = async (token: string) => {
    const found = tokens.cache.peek(token) ?? (await tokens.find(token));
    if (!found) throw errors.noSuchToken();
    return found;
  };

  const check = (method: 'GET' | 'HEAD'): Route => ({
    method,
    path: '/token/{token:uuid}',
    async handle(request) {
      const token = await live(request.params.token!);
      const scope = request.query.get('scope');
      checkScope(token, scope ?? undefined);
      await checkTenant(orm, hierarchy, token, request.query.get('tenant'));
      return method === 'HEAD'
        ? empty(204)
        : { status: 200, raw: { contentType: 'application/json', text: token.readBack } };
    },
  });

  return [
    {
      method: 'POST',
      path: '/token',
      readsBody: true,
      async handle(request) {
        // Body validation comes before authentication (tokens.md §3).
        const body = parseTokenRequest(request.body, defaultExpiration);
        const credentials = parseBasicAuth(request.headers.authorization);
        // Checked before any password is: a throttled login costs no hashing.
        const ticket = await throttle?.admit(credentials?.login ?? null, request.remoteAddress);
        let outcome: Outcome = 'neutral';
        let result: Awaited<ReturnType<LoginService['login']>>;
        try {
          result = await login.login(body, {
            credentials,
            mobile: (request.headers['wazo-session-type'] ?? '').toLowerCase() === 'mobile',
            userAgent: request.headers['user-agent'] ?? '',
            remoteAddr: request.remoteAddress,
          });
          outcome = 'success';
        } catch (error) {
          if (error instanceof HttpError && error.status === 401) outcome = 'failure';
          throw error;
        } finally {
          await ticket?.settle(outcome);
        }
        const record = {
          ...result.token.record,
          issuedT: result.issuedAt,
          expireT: result.issuedAt + body.expiration,
        };
        return json({ data: tokenJson(record, result.refreshToken) }, 200, {
          'Wazo-Sessions-Revoked': String(result.sessionsRevoked),
        });
      },
    },
    check('GET'),
    check('HEAD'),
    {
      method: 'DELETE',
      path: '/token/{token:uuid}',
      async handle(request) {
        await tokens.revoke(request.params.token!);
        return json({ data: { message: 'success' } });
      },
    },
    {
      method: 'POST',
      path: '/token/{token:uuid}/scopes/check',
      readsBody: true,
      async handle(request) {
        const body = parseScopesCheck(request.body);
        const token = await live(request.params.token!);
        await checkTenant(orm, hierarchy, token, body.tenant_uuid);
        const scopes: Record<string, boolean> = {};
        for (const scope of body.scopes) scopes[scope] = token.matcher.allows(scope);
        return json({ scopes });
      },
    },
  ];
}
