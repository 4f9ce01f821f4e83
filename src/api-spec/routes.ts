import type { Config } from '../config/index.js';
import type { HttpResponse } from '../http/request.js';
import type { Route } from '../http/route.js';
import { apiDocumentYaml } from './document.js';

const yaml = (text: string): HttpResponse => ({
  status: 200,
  raw: { contentType: 'application/x-yaml', text },
});

/**
 * The server's route table with `GET /api/api.yml` added (no authentication), whose document lists every
 * route of that table, itself included. Wrap the whole table with it, last. Without `X-Script-Name` the
 * document is built once; absent when `enabled_http_plugins.api` is false, as upstream's plugin would be.
 */
export function withApiDocument(
  config: Pick<Config, 'enabled_http_plugins'>,
  routes: readonly Route[],
): Route[] {
  if (config.enabled_http_plugins.api === false) return [...routes];
  const table: Route[] = [...routes];
  let plain: string | undefined;
  table.push({
    method: 'GET',
    path: '/api/api.yml',
    summary: 'The OpenAPI 2.0 document of this API',
    handle(request) {
      const scriptName = request.headers['x-script-name'];
      if (scriptName) return yaml(apiDocumentYaml(table, { scriptName }));
      plain ??= apiDocumentYaml(table);
      return yaml(plain);
    },
  });
  return table;
}
