import { empty, json } from '../../http/request.js';
import type { Route } from '../../http/route.js';
import type { ExternalAuthRouteDependencies } from '../routes.js';
import { typeRouteKit } from '../user-data.js';
import { mobileView, parseMobile } from './schema.js';

const TYPE = 'mobile';

/** `/users/{user_uuid}/external/mobile` and its `sender_id` (external-auth.md §5). */
export function mobileRoutes(deps: ExternalAuthRouteDependencies): Route[] {
  const { store } = deps;
  const kit = typeRouteKit(TYPE, deps);
  return [
    {
      method: 'GET',
      path: kit.path,
      steps: kit.steps('read'),
      async handle(request) {
        const user = await kit.visibleUser(request);
        return json(mobileView(await store.data(user, TYPE)));
      },
    },
    {
      method: 'POST',
      path: kit.path,
      readsBody: true,
      steps: kit.steps('create'),
      async handle(request) {
        const data = parseMobile(request.body);
        await store.create(await kit.visibleUser(request), TYPE, data);
        return json(data, 201);
      },
    },
    {
      method: 'PUT',
      path: kit.path,
      readsBody: true,
      steps: kit.steps('update'),
      async handle(request) {
        const data = parseMobile(request.body);
        // Creates the data when there is none (upstream since 25.14).
        await store.put(await kit.visibleUser(request), TYPE, data);
        return json(data);
      },
    },
    {
      method: 'DELETE',
      path: kit.path,
      steps: kit.steps('delete'),
      async handle(request) {
        await store.delete(await kit.visibleUser(request), TYPE);
        return empty(204);
      },
    },
    {
      method: 'GET',
      path: `${kit.path}/sender_id`,
      steps: kit.steps('sender_id.read'),
      // The scoping tenant's configuration; the user is not looked at (as upstream).
      handle: async (request) => {
        const config = await store.config(TYPE, request.locals.tenantUuid!);
        return json({ sender_id: config.fcm_sender_id ?? null });
      },
    },
  ];
}
