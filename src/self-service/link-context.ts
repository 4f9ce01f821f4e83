import type { HttpRequest } from '../http/request.js';
import type { LinkContext } from '../mail/mailer.js';

/** Where a mail's links point: the `Host` the request came to, and the proxy prefix (§6.1). */
export function linkContext(request: HttpRequest): LinkContext {
  const host = request.headers.host ?? '';
  // `[::1]:9497`, `pbx.example.com:443`, `pbx.example.com`.
  const match = /^(\[[^\]]*\]|[^:]*)(?::(\d+))?$/.exec(host);
  const context: LinkContext = { hostname: match?.[1] ?? host };
  if (match?.[2]) context.port = match[2];
  const prefix = request.headers['x-script-name'];
  if (prefix) context.prefix = prefix;
  return context;
}
