import { type OwnedHosts, parseHostPort } from '../hosts/index.js';
import type { HttpRequest } from '../http/request.js';
import type { LinkContext } from '../mail/mailer.js';

/**
 * A proxy prefix (`X-Script-Name`, nginx sends `/api/auth`): path segments of unreserved characters only,
 * so that nothing after the host (`@evil.example`, `?`, `#`, `\`) can change where the link goes.
 */
const PREFIX = /^(?:\/[A-Za-z0-9._~-]+)+\/?$/;

/**
 * Where a mail's links point (§6.1). The request's `Host` when the platform owns it (a configured public
 * host or a domain of the recipient's tenant), else the configured default: a client choosing the Host
 * must not get a reset or confirmation token mailed inside a link to its own server. Upstream takes any
 * Host. The proxy prefix is kept when it is a plain path.
 */
export function linkContext(request: HttpRequest, owned: OwnedHosts): LinkContext {
  const asked = parseHostPort(request.headers.host ?? '');
  const { host, port } = asked && owned.owns(asked) ? asked : owned.fallback;
  const context: LinkContext = { hostname: host };
  if (port !== null) context.port = port;
  const prefix = request.headers['x-script-name'];
  if (prefix && PREFIX.test(prefix)) context.prefix = prefix;
  return context;
}
