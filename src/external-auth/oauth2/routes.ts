import type { Json } from '../../http/errors.js';
import { empty, json } from '../../http/request.js';
import type { Route } from '../../http/route.js';
import { field, length, loadOrInvalidData, oneOf, schema } from '../../validation/index.js';
import type { ExternalAuthRouteDependencies } from '../routes.js';
import { typeRouteKit } from '../user-data.js';
import type { AccountLink } from './account-link.js';
import { connectedPage } from './page.js';

/**
 * `POST /users/{uuid}/external/<type>`: scopes narrowing the configured ones; `{}` asks for all of them.
 * Upstream takes any scope, so that a token holding only `…external.<type>.create` could have the
 * tenant's application ask the user for more than the operator configured (mail, drive…).
 */
const startSchema = (configured: readonly string[]) =>
  schema({
    scope: field.list(
      field
        .string()
        .validate(length({ min: 1, max: 512 }), oneOf(configured))
        .required(),
    ),
  });

/**
 * The routes of one OAuth2 type (external-auth.md §4): start an authorization, read the access token,
 * forget the account; and the redirect endpoint the provider sends the browser back to (ours: upstream
 * needs its wazo-oauth2 relay for that).
 */
export function accountLinkRoutes(link: AccountLink, deps: ExternalAuthRouteDependencies): Route[] {
  const kit = typeRouteKit(link.type, deps);
  const bodySchema = startSchema(link.scopes);
  const parseStart = (body: Json | undefined): string[] =>
    (loadOrInvalidData('users', bodySchema, body).scope ?? []) as string[];
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
        const session = request.locals.token!.record.sessionUuid;
        return json(await link.start(user, tenant, session, credentials, scopes), 201);
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
