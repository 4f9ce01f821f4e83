import { raw, UniqueConstraintViolationException } from '@mikro-orm/core';
import { SamlConfig, SamlSession, TenantDomain } from '../entities/index.js';
import type { Database } from '../entities/orm.js';

/** A tenant's SAML configuration as the API and the SP builder see it. */
export interface StoredConfig {
  tenantUuid: string;
  domainUuid: string;
  entityId: string;
  acsUrl: string;
  idpMetadata: string;
}

export interface ConfigChanges {
  domainUuid?: string;
  entityId?: string;
  acsUrl?: string;
  idpMetadata?: string;
}

export class ConfigConflict extends Error {}

const stored = (row: SamlConfig): StoredConfig => ({
  tenantUuid: row.tenant.uuid,
  domainUuid: row.domain.uuid,
  entityId: row.entityId,
  acsUrl: row.acsUrl,
  idpMetadata: row.idpMetadata,
});

/** `auth_saml_config`: one row per tenant (a unique index), selected at login by its domain's name. */
export class SamlConfigStore {
  constructor(private readonly orm: Database) {}

  async get(tenantUuid: string): Promise<StoredConfig | null> {
    const row = await this.orm.em.fork().findOne(SamlConfig, { tenant: tenantUuid });
    return row ? stored(row) : null;
  }

  /** The configuration whose domain is named `domain` (case-insensitively, trailing dot ignored). */
  async byDomainName(domain: string): Promise<StoredConfig | null> {
    const name = (domain.endsWith('.') ? domain.slice(0, -1) : domain).toLowerCase();
    const em = this.orm.em.fork();
    const found = await em.findOne(TenantDomain, { [raw('lower(name)')]: name });
    if (!found) return null;
    // A domain is deleted with its configuration; the tenant check guards a domain given to another tenant.
    const row = await em.findOne(SamlConfig, { domain: found.uuid, tenant: found.tenant.uuid });
    return row ? stored(row) : null;
  }

  async isDomainOf(domainUuid: string, tenantUuid: string): Promise<boolean> {
    return (await this.orm.em.fork().count(TenantDomain, { uuid: domainUuid, tenant: tenantUuid })) > 0;
  }

  /** Throws `ConfigConflict` when the tenant already has one. */
  async create(config: StoredConfig): Promise<StoredConfig> {
    const em = this.orm.em.fork();
    if ((await em.count(SamlConfig, { tenant: config.tenantUuid })) > 0) throw new ConfigConflict();
    em.create(SamlConfig, {
      tenant: config.tenantUuid,
      domain: config.domainUuid,
      entityId: config.entityId,
      acsUrl: config.acsUrl,
      idpMetadata: config.idpMetadata,
    });
    try {
      await em.flush();
    } catch (error) {
      // Two creations racing: the unique index on the tenant lets one through.
      if (error instanceof UniqueConstraintViolationException) throw new ConfigConflict();
      throw error;
    }
    return config;
  }

  /** The record after the changes, or null when the tenant has none. */
  async update(tenantUuid: string, changes: ConfigChanges): Promise<StoredConfig | null> {
    const em = this.orm.em.fork();
    const set: Partial<Record<'domain' | 'entityId' | 'acsUrl' | 'idpMetadata', string>> = {};
    if (changes.domainUuid !== undefined) set.domain = changes.domainUuid;
    if (changes.entityId !== undefined) set.entityId = changes.entityId;
    if (changes.acsUrl !== undefined) set.acsUrl = changes.acsUrl;
    if (changes.idpMetadata !== undefined) set.idpMetadata = changes.idpMetadata;
    if (Object.keys(set).length > 0) await em.nativeUpdate(SamlConfig, { tenant: tenantUuid }, set);
    return this.get(tenantUuid);
  }

  async delete(tenantUuid: string): Promise<void> {
    await this.orm.em.fork().nativeDelete(SamlConfig, { tenant: tenantUuid });
  }
}

/** The primary key of a session row. */
export interface SessionKey {
  requestId: string;
  sessionId: string;
}

export interface NewSession extends SessionKey {
  redirectUrl: string;
  domain: string;
  relayState: string;
}

/** What the ACS keeps of a valid assertion. */
export interface Asserted {
  login: string;
  nameId: string;
  nameIdFormat: string | null;
  nameQualifier: string | null;
  spNameQualifier: string | null;
  sessionIndex: string | null;
  idpEntityId: string;
}

const keyOf = (session: SessionKey): SessionKey => ({
  requestId: session.requestId,
  sessionId: session.sessionId,
});

/**
 * `auth_saml_session`. State changes that must happen once (the ACS completing a login, a token exchange
 * claiming it) are conditional updates, so that two workers racing on one session cannot both succeed.
 */
export class SamlSessionStore {
  constructor(private readonly orm: Database) {}

  async create(session: NewSession): Promise<void> {
    const em = this.orm.em.fork();
    em.create(SamlSession, {
      ...session,
      login: null,
      startTime: new Date(),
      samlNameId: null,
      refreshToken: null,
    });
    await em.flush();
  }

  async byRelayState(relayState: string): Promise<SamlSession | null> {
    return this.orm.em.fork().findOne(SamlSession, { relayState }, { orderBy: { startTime: 'desc' } });
  }

  async byRequestId(requestId: string): Promise<SamlSession | null> {
    return this.orm.em.fork().findOne(SamlSession, { requestId });
  }

  /** Records the assertion on a pending login; false when it was no longer pending. */
  async complete(session: SessionKey, asserted: Asserted): Promise<boolean> {
    const changed = await this.orm.em.fork().nativeUpdate(
      SamlSession,
      { ...keyOf(session), login: null, used: false },
      {
        login: asserted.login,
        samlNameId: asserted.nameId,
        nameIdFormat: asserted.nameIdFormat,
        nameQualifier: asserted.nameQualifier,
        spNameQualifier: asserted.spNameQualifier,
        sessionIndex: asserted.sessionIndex,
        idpEntityId: asserted.idpEntityId,
      },
    );
    return changed === 1;
  }

  /**
   * Marks the completed login of `sessionId` used, once: the session when this call is the one that
   * claimed it, else null (unknown, not asserted yet, already used, or older than `notBefore`).
   */
  async claim(sessionId: string, notBefore: Date): Promise<SamlSession | null> {
    const em = this.orm.em.fork();
    const changed = await em.nativeUpdate(
      SamlSession,
      { sessionId, used: false, login: { $ne: null }, startTime: { $gte: notBefore } },
      { used: true },
    );
    if (changed !== 1) return null;
    return em.findOne(SamlSession, { sessionId, used: true });
  }

  async linkRefreshToken(session: SessionKey, refreshTokenUuid: string): Promise<void> {
    await this.orm.em.fork().nativeUpdate(SamlSession, keyOf(session), { refreshToken: refreshTokenUuid });
  }

  /** The latest completed login whose refresh token is `refreshTokenUuid`. */
  async forLogout(refreshTokenUuid: string): Promise<SamlSession | null> {
    return this.orm.em
      .fork()
      .findOne(
        SamlSession,
        { refreshToken: refreshTokenUuid, login: { $ne: null } },
        { orderBy: { startTime: 'desc' } },
      );
  }

  /** The logout sent to the IdP: its RelayState replaces the login's, its request ID is kept. */
  async loggingOut(session: SessionKey, relayState: string, logoutRequestId: string): Promise<void> {
    await this.orm.em.fork().nativeUpdate(SamlSession, keyOf(session), { relayState, logoutRequestId });
  }

  async delete(session: SessionKey): Promise<void> {
    await this.orm.em.fork().nativeDelete(SamlSession, keyOf(session));
  }

  /** Sessions past their lifetime, and logins still pending after the login timeout. */
  async purge(lifetimeStart: Date, pendingStart: Date): Promise<number> {
    const em = this.orm.em.fork();
    const expired = await em.nativeDelete(SamlSession, { startTime: { $lt: lifetimeStart } });
    const abandoned = await em.nativeDelete(SamlSession, { login: null, startTime: { $lt: pendingStart } });
    return expired + abandoned;
  }
}
