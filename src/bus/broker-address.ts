/** The broker an AMQP URI names, as both protocols' clients need it. */
export interface BrokerAddress {
  host: string;
  port: number;
  tls: boolean;
  username: string;
  password: string;
  /** The virtual host; `/` when the URI names none. */
  vhost: string;
}

/**
 * Reads `amqp://user:password@host:port[/vhost]` (`amqps://` for TLS). A malformed URI throws, so that it
 * fails at start-up rather than at the first event.
 */
export function brokerAddress(uri: string): BrokerAddress {
  const url = new URL(uri);
  if (url.protocol !== 'amqp:' && url.protocol !== 'amqps:')
    throw new Error('amqp.uri / WAZO_AUTH_BUS_URI must start with amqp:// or amqps://');
  const tls = url.protocol === 'amqps:';
  const vhost = decodeURIComponent(url.pathname.slice(1));
  return {
    host: url.hostname || 'localhost',
    port: url.port ? Number(url.port) : tls ? 5671 : 5672,
    tls,
    username: decodeURIComponent(url.username) || 'guest',
    password: decodeURIComponent(url.password) || 'guest',
    vhost: vhost || '/',
  };
}

/** Where the broker is, for logs: never the credentials. */
export function brokerName(uri: string): string {
  const url = new URL(uri);
  return `${url.protocol}//${url.host}${url.pathname.length > 1 ? url.pathname : ''}`;
}
