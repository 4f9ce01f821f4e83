import type { Json } from '../../http/errors.js';
import { empty, json } from '../../http/request.js';
import type { Route } from '../../http/route.js';
import { field, length, loadOrInvalidData, schema } from '../../validation/index.js';
import type { ExternalAuthRouteDependencies } from '../routes.js';
import { typeRouteKit } from '../user-data.js';
import type { AccountLink } from './account-link.js';
import { connectedPage } from './page.js';

/** `POST /users/{uuid}/external/<type>`: scopes replacing the configured ones; `{}` is fine. */
const startSchema = schema({
  scope: field.list(
    field
      .string()
      .validate(length({ min: 1, max: 512 }))
      .required(),
  ),
});

const parseStart = (body: Json | undefined): string[] =>
  (loadOrInvalidData('users', startSchema, body).scope ?? []) as string[];

/**
 * The routes of one OAuth2 type (external-auth.md §4): start an authorization, read the access token,
 * forget the account; and the redirect endpoint the provider sends the browser back to (ours: upstream
 * needs its wazo-oauth2 relay for that).
 */
export function accountLinkRoutes(link: AccountLink, deps: ExternalAuthRouteDependencies): Route[] {
  const kit = typeRouteKit(link.type, deps);
  return [
    {
      method: 'POST',
      path: kit.path,
      readsBody: true,
      steps: kit.steps('create'),
      async handle(request) {
        // Upstream's order: the body, the caller's tenant configuration, then the user.
        const scopes = parseStart(request.body);
        const tenant = request.locals.tenantUuid!;
        const credentials = await link.credentials(tenant);
        const user = await kit.visibleUser(request);
        return json(await link.start(user, tenant, credentials, scopes), 201);
      },
    },
    {
      method: 'GET',
      path: kit.path,
      steps: kit.steps('read'),
      async handle(request) {
        const user = await kit.visibleUser(request);
        return json({ ...(await link.access(user, request.locals.tenantUuid!)) });
      },
    },
    {
      method: 'DELETE',
      path: kit.path,
      steps: kit.steps('delete'),
      async handle(request) {
        await deps.store.delete(await kit.visibleUser(request), link.type);
        return empty(204);
      },
    },
    {
      method: 'GET',
      path: `/external/${link.type}/authorize`,
      summary: `The ${link.type} redirect URI: completes an authorization (no token: the state vouches for it)`,
      async handle(request) {
        await link.complete(request.query);
        return {
          status: 200,
          raw: { contentType: 'text/html; charset=utf-8', text: connectedPage(link.type) },
        };
      },
    },
  ];
}
