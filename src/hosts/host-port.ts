/*
 * `host[:port]` as it appears in a Host header, a configured `public_hosts` entry or a URL's authority.
 * One parser for all three, so that what the configuration accepts is exactly what requests are compared
 * with.
 */

/** A host in its compared form: lower case, no trailing dot, IPv6 in brackets; the port as digits. */
export interface HostPort {
  host: string;
  /** Null when none was written (the scheme's default). */
  port: string | null;
}

/** DNS labels (letters, digits, hyphens, no hyphen at either end) or a dotted IPv4 address. */
const NAME = /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/;
const IPV6 = /^\[[0-9a-f:.]+\]$/;
const PORT = /^[0-9]{1,5}$/;

/** A host name alone (no port) in its compared form, or null when it is not one. */
export function normalHost(text: string): string | null {
  const lower = text.toLowerCase();
  // `pbx.example.com.` and `pbx.example.com` name the same host.
  const host = lower.endsWith('.') && !IPV6.test(lower) ? lower.slice(0, -1) : lower;
  return NAME.test(host) || IPV6.test(host) ? host : null;
}

/** `text` as host and port, or null when it is anything else (userinfo, path, spaces, a bad port). */
export function parseHostPort(text: string): HostPort | null {
  // `[::1]:9497`, `pbx.example.com:443`, `pbx.example.com`.
  const match = /^(\[[^\]]*\]|[^:]*)(?::([^:]*))?$/.exec(text);
  if (!match) return null;
  const host = normalHost(match[1]!);
  const port = match[2] ?? null;
  if (host === null) return null;
  if (port === null) return { host, port: null };
  if (!PORT.test(port) || Number(port) > 65535) return null;
  // `:0443` is `:443`.
  return { host, port: String(Number(port)) };
}
