import { type HostPort, parseHostPort } from './host-port.js';

/**
 * The hosts the platform owns as seen from one tenant: the configured `public_hosts` and the tenant's
 * domain names. The one answer to "may a link or a redirect point there", for mail links and redirects
 * alike.
 */
export class OwnedHosts {
  constructor(
    private readonly entries: readonly HostPort[],
    /** Where a link points when the request named no owned host. */
    readonly fallback: HostPort,
  ) {}

  /**
   * Same host (compared in lower case, trailing dot ignored), and the same port when the entry names
   * one: an entry without a port owns every port of its host, as a tenant's domain does.
   */
  owns(candidate: HostPort): boolean {
    return this.entries.some(
      (entry) => entry.host === candidate.host && (entry.port === null || entry.port === candidate.port),
    );
  }
}

export interface PlatformHostsOptions {
  /** `public_hosts` (validated by the configuration schema: every entry parses). */
  configured: readonly string[];
  /** The fallback when nothing is configured: the machine's own name, never a request's. */
  machineHostname: string;
  /** The domain names of a tenant (`auth_tenant_domain`). */
  domainsOf(tenant: string): Promise<string[]>;
}

const LOCALHOST: HostPort = { host: 'localhost', port: null };

/** Builds the `OwnedHosts` of a tenant from the configuration and the tenant's domains. */
export class PlatformHosts {
  private readonly configured: HostPort[];
  readonly fallback: HostPort;

  constructor(private readonly options: PlatformHostsOptions) {
    this.configured = options.configured.flatMap((entry) => parseHostPort(entry) ?? []);
    this.fallback = this.configured[0] ?? parseHostPort(options.machineHostname) ?? LOCALHOST;
  }

  /** Whether `public_hosts` names any host (else links fall back to the machine's name). */
  get isConfigured(): boolean {
    return this.configured.length > 0;
  }

  /** The hosts owned for `tenant` (null: the configured ones only, e.g. a tenant being created). */
  async of(tenant: string | null): Promise<OwnedHosts> {
    const domains = tenant === null ? [] : await this.options.domainsOf(tenant);
    // A domain name is a host on any port: `acme.example.com` owns `acme.example.com:8443`.
    const owned = domains.flatMap((name) => {
      const parsed = parseHostPort(name);
      return parsed ? [{ host: parsed.host, port: null }] : [];
    });
    return new OwnedHosts([...this.configured, ...owned], this.fallback);
  }
}
