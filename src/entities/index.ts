import { ExternalAuthConfig, ExternalAuthType, UserExternalAuth } from './external-auth.js';
import { Group } from './group.js';
import { LdapConfig } from './ldap.js';
import { OAuth2Flow } from './oauth2-flow.js';
import { OutboxEntry } from './outbox.js';
import { Access, Policy, PolicyAccess } from './policy.js';
import { SamlConfig, SamlSession } from './saml.js';
import { Setting } from './settings.js';
import { Address, Tenant, TenantDomain } from './tenant.js';
import { RefreshToken, Session, Token } from './token.js';
import { Email, User } from './user.js';

export * from './external-auth.js';
export * from './group.js';
export * from './ldap.js';
export * from './oauth2-flow.js';
export * from './outbox.js';
export * from './policy.js';
export * from './saml.js';
export * from './settings.js';
export * from './tenant.js';
export * from './token.js';
export * from './upstream-columns.js';
export * from './user.js';

/** Every mapped table, for the `entities` option of MikroORM. */
export const entities = [
  Tenant,
  TenantDomain,
  Address,
  User,
  Email,
  Group,
  Policy,
  Access,
  PolicyAccess,
  Session,
  Token,
  RefreshToken,
  ExternalAuthType,
  ExternalAuthConfig,
  UserExternalAuth,
  SamlConfig,
  SamlSession,
  LdapConfig,
  Setting,
  OutboxEntry,
  OAuth2Flow,
];
