import { isIP } from 'node:net';
import { type ConnectionOptions, rootCertificates } from 'node:tls';
import {
  Client,
  type Entry,
  InappropriateAuthError,
  InsufficientAccessError,
  InvalidCredentialsError,
  InvalidDNSyntaxError,
  NoSuchObjectError,
  UnwillingToPerformError,
} from 'ldapts';
import type { LdapConfig } from '../entities/index.js';
import { DEFAULT_SEARCH_FILTER, escapeDnValue, formatSearchFilter } from './escape.js';

/** Upstream's hard-coded network and operation timeouts (ldap.md §1). */
const TIMEOUT_MS = 2000;

/**
 * A bound on the whole conversation: ldapts times the connection and each operation, but not the TLS
 * handshake of StartTLS, which a stalled server could leave pending, and the login with it, forever.
 */
const DEADLINE_MS = 5 * TIMEOUT_MS;

/** Why the directory did not vouch for a login. */
export type Refusal =
  /** The directory answered: wrong password, unknown or ambiguous login, no readable e-mail… */
  | { kind: 'denied'; reason: string }
  /** The directory could not be asked: unreachable, TLS refused, protocol error, bad configuration. */
  | { kind: 'error'; reason: string; error: unknown };

export type DirectoryAnswer = { ok: true; email: string } | { ok: false; refusal: Refusal };

const denied = (reason: string): DirectoryAnswer => ({ ok: false, refusal: { kind: 'denied', reason } });

/** Result codes that are the directory's verdict on the login, not a failure to ask it. */
const VERDICTS = [
  InvalidCredentialsError,
  NoSuchObjectError,
  InvalidDNSyntaxError,
  InsufficientAccessError,
  InappropriateAuthError,
  UnwillingToPerformError,
];

export interface DirectoryOptions {
  /** Extra trusted CA certificates (PEM), added to Node's bundled roots. */
  ca?: string | Buffer | undefined;
  /** The bound on the whole conversation, in milliseconds (10 s by default). */
  deadlineMs?: number;
}

/**
 * Asks a tenant's LDAP server whether `login`/`password` are valid and for the user's e-mail address
 * (ldap.md §4 steps 3–6). Never throws: every failure is a refusal for the caller to log.
 */
export async function checkLdapLogin(
  config: LdapConfig,
  login: string,
  password: string,
  options: DirectoryOptions = {},
): Promise<DirectoryAnswer> {
  // An empty simple bind is an anonymous bind, which most servers accept (RFC 4513 §5.1.2).
  if (password === '') return denied('empty password');
  let client: Client | undefined;
  let timer: NodeJS.Timeout | undefined;
  try {
    const tls = tlsOptions(config.host, options.ca);
    client = new Client({
      url: `${config.protocolSecurity === 'ldaps' ? 'ldaps' : 'ldap'}://${urlHost(config.host)}:${config.port}`,
      connectTimeout: TIMEOUT_MS,
      timeout: TIMEOUT_MS,
      // Given to a plain `ldap://` client, TLS options would make it connect with TLS straight away.
      ...(config.protocolSecurity === 'ldaps' ? { tlsOptions: tls } : {}),
    });
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error('LDAP conversation timed out')),
        options.deadlineMs ?? DEADLINE_MS,
      );
    });
    return await Promise.race([converse(client, config, login, password, tls), deadline]);
  } catch (error) {
    if (VERDICTS.some((kind) => error instanceof kind)) return denied((error as Error).message);
    return { ok: false, refusal: { kind: 'error', reason: describe(error), error } };
  } finally {
    clearTimeout(timer);
    // Also ends a conversation the deadline cut short: its pending operation fails on the closed socket.
    await client?.unbind().catch(() => {});
  }
}

async function converse(
  client: Client,
  config: LdapConfig,
  login: string,
  password: string,
  tls: ConnectionOptions,
): Promise<DirectoryAnswer> {
  const emailAttribute = config.userEmailAttribute;
  const loginAttribute = config.userLoginAttribute;
  if (!emailAttribute || !loginAttribute) throw new Error('incomplete LDAP configuration');
  // ldapts speaks LDAPv3 only: a configured protocol_version 2 is stored and shown but not used.
  if (config.protocolSecurity === 'tls') await client.startTLS(tls);

  let dn: string;
  let email: string | null = null;
  if (config.bindDn && config.bindPassword) {
    await client.bind(config.bindDn, config.bindPassword);
    const filter = formatSearchFilter(config.searchFilters ?? DEFAULT_SEARCH_FILTER, {
      username: login,
      user_login_attribute: loginAttribute,
      user_email_attribute: emailAttribute,
    });
    // Upstream asks for one entry and fails on the server's size-limit error when there are more;
    // ldapts hides that error, so ask for two and count.
    const { searchEntries } = await client.search(config.userBaseDn, {
      scope: 'sub',
      filter,
      sizeLimit: 2,
      attributes: [emailAttribute],
    });
    if (searchEntries.length !== 1) {
      return denied(searchEntries.length === 0 ? 'no entry matches the login' : 'several entries match');
    }
    const [entry] = searchEntries as [Entry];
    dn = entry.dn;
    email = firstValue(entry, emailAttribute);
  } else {
    dn = `${loginAttribute}=${escapeDnValue(login)},${config.userBaseDn}`;
  }

  await client.bind(dn, password);
  if (email === null) {
    const { searchEntries } = await client.search(dn, { scope: 'base', attributes: [emailAttribute] });
    email = searchEntries[0] ? firstValue(searchEntries[0], emailAttribute) : null;
  }
  if (!email) return denied('no readable e-mail address');
  return { ok: true, email: email.toLowerCase() };
}

/**
 * Certificates are verified (unlike upstream, which leaves python-ldap's defaults): against Node's
 * bundled roots plus the configured CA. The server name is checked against `host`; SNI is only sent
 * for names, as TLS forbids it for IP addresses.
 */
function tlsOptions(host: string, ca: string | Buffer | undefined): ConnectionOptions {
  return {
    rejectUnauthorized: true,
    host,
    ...(isIP(host) ? {} : { servername: host }),
    ...(ca ? { ca: [...rootCertificates, ca] } : {}),
  };
}

/** An IPv6 literal needs brackets in a URL. */
const urlHost = (host: string): string => (isIP(host) === 6 ? `[${host}]` : host);

/**
 * The first value of the e-mail attribute. The server may name the attribute differently from the
 * request (case, or another of its names, `rfc822Mailbox` for `mail`); only that attribute was asked for.
 */
function firstValue(entry: Entry, attribute: string): string | null {
  const wanted = attribute.toLowerCase();
  const names = Object.keys(entry).filter((name) => name !== 'dn');
  const ordered = [...names.filter((name) => name.toLowerCase() === wanted), ...names];
  for (const name of ordered) {
    const values = ([] as unknown[]).concat(entry[name]);
    for (const value of values) {
      const text = Buffer.isBuffer(value) ? value.toString('utf8') : value;
      if (typeof text === 'string' && text !== '') return text;
    }
  }
  return null;
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return typeof code === 'string' || typeof code === 'number'
      ? `${error.message} (${code})`
      : error.message;
  }
  return String(error);
}
