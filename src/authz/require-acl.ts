import { compileTemplate } from '../acl/index.js';
import { errors } from '../http/errors.js';
import type { Step } from '../http/route.js';
import type { LiveToken } from '../tokens/record.js';
import type { TokenService } from '../tokens/service.js';

declare module '../http/request.js' {
  interface RequestLocals {
    /** The caller's token, once `requireAcl` has accepted it. */
    token: LiveToken;
  }
}

const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

/**
 * The authorization step of every protected endpoint (conventions.md §4): the `X-Auth-Token` must name a
 * live token whose ACL grants the endpoint's required access, built from `template` and the path.
 */
export function requireAcl(
  tokens: TokenService,
  template: string,
  /** The token may also come as the `token` query parameter (links in mails). */
  { tokenInQuery = false }: { tokenInQuery?: boolean } = {},
): Step {
  const render = compileTemplate(template);
  const step: Step = async (request) => {
    const required = render(request.params);
    const presented =
      request.headers['x-auth-token'] || (tokenInQuery ? request.query.get('token') : null) || '';
    const token = UUID.test(presented)
      ? (tokens.cache.peek(presented) ?? (await tokens.find(presented)))
      : null;
    if (!token) {
      throw errors.unauthorized({
        invalid_token: presented,
        reason: 'not_found_or_expired',
        required_access: required,
      });
    }
    if (!token.matcher.allows(required)) {
      throw errors.unauthorized({
        invalid_token: presented,
        reason: 'missing_permission_or_invalid_tenant',
        required_access: required,
        tenant_uuid: request.headers['wazo-tenant'] || null,
      });
    }
    request.locals.token = token;
  };
  return Object.assign(step, { requiredAcl: template });
}
