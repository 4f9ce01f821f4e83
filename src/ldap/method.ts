import { readFileSync } from 'node:fs';
import { raw } from '@mikro-orm/core';
import { Email, LdapConfig, Tenant, TenantDomain, User } from '../entities/index.js';
import type { Database } from '../entities/orm.js';
import { errors } from '../http/errors.js';
import type { LoginAttempt, LoginMethod, VerifiedLogin } from '../idp/method.js';
import type { Logger } from '../log/logger.js';
import { checkLdapLogin } from './directory.js';

/** The variable naming a PEM file of CA certificates to trust for `ldaps`/StartTLS. */
export const LDAP_CA_FILE_VARIABLE = 'WAZO_AUTH_LDAP_CA_FILE';

/**
 * The CA certificates named by `WAZO_AUTH_LDAP_CA_FILE`, read once at start-up; a missing or unreadable
 * file stops the start rather than failing every LDAP login later.
 */
export function ldapCaFromEnvironment(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const path = env[LDAP_CA_FILE_VARIABLE];
  if (!path) return undefined;
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new Error(`${LDAP_CA_FILE_VARIABLE}: cannot read ${path}: ${(error as Error).message}`);
  }
}

export interface LdapLoginMethodDependencies {
  orm: Database;
  logger: Logger;
  /**
   * Extra CA certificates (PEM) trusted for `ldaps` and StartTLS, on top of Node's bundled roots.
   * Absent: `WAZO_AUTH_LDAP_CA_FILE` is read; `null`: no extra CA.
   */
  ca?: string | Buffer | null;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The `ldap` login method and its `ldap_user` backend (ldap.md §4): Basic credentials checked against the
 * LDAP server of the tenant named by `domain_name` or `tenant_id`, the Wazo user of that tenant found by
 * the directory's e-mail address. Whether that user's effective method is `ldap` is the login service's
 * check, not this one's.
 */
export class LdapLoginMethod implements LoginMethod {
  readonly name = 'ldap';
  readonly backend = 'ldap_user';

  private readonly orm: Database;
  private readonly log: Logger;
  private readonly ca: string | Buffer | undefined;

  constructor({ orm, logger, ca }: LdapLoginMethodDependencies) {
    this.orm = orm;
    this.log = logger;
    this.ca = ca === undefined ? ldapCaFromEnvironment() : (ca ?? undefined);
  }

  canAuthenticate({ request, credentials }: LoginAttempt): boolean {
    return Boolean(credentials?.login && credentials.password && (request.domain_name || request.tenant_id));
  }

  async verify({ request, credentials }: LoginAttempt): Promise<VerifiedLogin> {
    if (!credentials) throw errors.authenticationFailed();
    const tenantUuid = await this.tenantOf(request.domain_name, request.tenant_id);
    if (tenantUuid === null) throw errors.authenticationFailed();

    const em = this.orm.em.fork();
    const config = await em.findOne(LdapConfig, { tenant: tenantUuid });
    if (!config) {
      this.log.debug({ tenant_uuid: tenantUuid }, 'ldap login: the tenant has no LDAP configuration');
      throw errors.authenticationFailed();
    }

    const answer = await checkLdapLogin(config, credentials.login, credentials.password, { ca: this.ca });
    if (!answer.ok) {
      const { refusal } = answer;
      const context = {
        tenant_uuid: tenantUuid,
        host: config.host,
        port: config.port,
        reason: refusal.reason,
      };
      if (refusal.kind === 'error')
        this.log.warn(context, 'ldap login: the LDAP server could not be queried');
      else this.log.debug(context, 'ldap login refused by the LDAP server');
      throw errors.authenticationFailed();
    }

    const userUuid = await this.wazoUserOf(tenantUuid, answer.email);
    if (userUuid === null) {
      this.log.debug({ tenant_uuid: tenantUuid }, 'ldap login: no Wazo user of the tenant has that e-mail');
      throw errors.authenticationFailed();
    }
    return { userUuid, login: answer.email, backend: this.backend };
  }

  /**
   * `domain_name`: the tenant owning that domain (none: null). `tenant_id`: a tenant uuid or slug; an
   * unknown one is upstream's 404, which tells a caller which tenants exist — kept for compatibility.
   */
  private async tenantOf(
    domainName: string | undefined,
    tenantId: string | undefined,
  ): Promise<string | null> {
    const em = this.orm.em.fork();
    if (domainName) {
      const domain = await em.findOne(TenantDomain, { name: domainName }, { fields: ['tenant'] });
      return domain?.tenant.uuid ?? null;
    }
    if (!tenantId) return null;
    const tenant = await em.findOne(
      Tenant,
      UUID.test(tenantId) ? { uuid: tenantId.toLowerCase() } : { slug: tenantId },
      { fields: ['uuid'] },
    );
    if (!tenant) throw errors.unknown('tenants', tenantId);
    return tenant.uuid;
  }

  /** The enabled user of the tenant with that e-mail address (any, confirmed or not), else that username. */
  private async wazoUserOf(tenantUuid: string, email: string): Promise<string | null> {
    const em = this.orm.em.fork();
    const byEmail = await em.findOne(
      Email,
      { [raw('lower(address)')]: email, user: { tenant: tenantUuid, enabled: true } },
      { fields: ['user'] },
    );
    if (byEmail) return byEmail.user.uuid;
    const byUsername = await em.findOne(
      User,
      { [raw('lower(username)')]: email, tenant: tenantUuid, enabled: true },
      { fields: ['uuid'] },
    );
    return byUsername?.uuid ?? null;
  }
}
