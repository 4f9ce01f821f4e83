import { type Collection, EntitySchema, type OptionalProps } from '@mikro-orm/core';
import { ownedByTenant, uuidPrimaryKey } from './common.js';
import type { Tenant } from './tenant.js';
import { JsonTextType, TextListType } from './upstream-columns.js';
import type { User } from './user.js';

/** JSON values stored in the `metadata` columns. */
export type JsonObject = { [key: string]: unknown };

/** `auth_session`: groups the tokens of one login; deleting it deletes its tokens. */
export interface Session {
  [OptionalProps]?: 'uuid' | 'mobile';
  uuid: string;
  tenant: Tenant;
  /** No database default upstream; the application writes false. */
  mobile: boolean;
  tokens: Collection<Token>;
}

export const Session = new EntitySchema<Session>({
  name: 'Session',
  tableName: 'auth_session',
  properties: {
    uuid: uuidPrimaryKey(36),
    tenant: ownedByTenant('auth_session__idx__tenant_uuid'),
    mobile: { type: 'boolean', onCreate: () => false },
    tokens: { kind: '1:m', entity: 'Token', mappedBy: 'session' },
  },
});

/**
 * `auth_token`: the uuid is the bearer token. `authId` is a user uuid or `wazo-auth` and has no
 * foreign key, so deleting a user leaves its tokens (and sessions) in place.
 */
export interface Token {
  [OptionalProps]?: 'uuid' | 'acl' | 'metadata';
  uuid: string;
  session: Session;
  authId: string;
  pbxUserUuid: string | null;
  xivoUuid: string | null;
  /** Epoch seconds, truncated. */
  issuedT: number | null;
  /** Epoch seconds, truncated. */
  expireT: number | null;
  /** JSON text in a `text` column, as upstream keeps it (`JsonTextType`). */
  metadata: JsonObject | null;
  userAgent: string | null;
  remoteAddr: string | null;
  /** The ACL frozen at creation: `text[]` on PostgreSQL as upstream, JSON on SQLite (`TextListType`). */
  acl: string[];
  /** Set to null by the database when the refresh token is deleted (the token keeps working). */
  refreshToken: RefreshToken | null;
}

export const Token = new EntitySchema<Token>({
  name: 'Token',
  tableName: 'auth_token',
  properties: {
    uuid: uuidPrimaryKey(38),
    session: {
      kind: 'm:1',
      entity: 'Session',
      fieldName: 'session_uuid',
      deleteRule: 'cascade',
      index: 'auth_token__idx__session_uuid',
    },
    // Counted at every login (the session limit) and listed per user: not a scan of every token.
    authId: { type: 'text', fieldName: 'auth_id', index: 'auth_token__idx__auth_id' },
    pbxUserUuid: { type: 'string', length: 36, fieldName: 'pbx_user_uuid', nullable: true },
    xivoUuid: { type: 'string', length: 38, fieldName: 'xivo_uuid', nullable: true },
    issuedT: { type: 'integer', fieldName: 'issued_t', nullable: true },
    expireT: { type: 'integer', fieldName: 'expire_t', nullable: true },
    metadata: { type: JsonTextType, nullable: true },
    userAgent: { type: 'text', fieldName: 'user_agent', nullable: true, default: '' },
    remoteAddr: { type: 'text', fieldName: 'remote_addr', nullable: true, default: '' },
    // The PostgreSQL default (an empty array); SQLite's migration has `'[]'`, its JSON spelling.
    acl: { type: TextListType, defaultRaw: `'{}'`, onCreate: () => [] },
    refreshToken: {
      kind: 'm:1',
      entity: 'RefreshToken',
      fieldName: 'refresh_token_uuid',
      nullable: true,
      index: 'auth_token_refresh_token_uuid_index',
      deleteRule: 'set null',
    },
  },
});

/**
 * `auth_refresh_token`: the uuid is the refresh token. At most one per (client_id, user); the tenant
 * is the user's (not stored).
 */
export interface RefreshToken {
  [OptionalProps]?: 'uuid' | 'mobile' | 'metadata';
  uuid: string;
  clientId: string | null;
  /** Deleting the user deletes its refresh tokens. */
  user: User | null;
  /** Backend name from the login request. */
  backend: string | null;
  /** Login string used (username or email). */
  login: string | null;
  userAgent: string | null;
  remoteAddr: string | null;
  createdAt: Date | null;
  mobile: boolean;
  metadata: JsonObject;
}

export const RefreshToken = new EntitySchema<RefreshToken>({
  name: 'RefreshToken',
  tableName: 'auth_refresh_token',
  uniques: [{ name: 'auth_refresh_token_client_id_user_uuid', properties: ['clientId', 'user'] }],
  properties: {
    uuid: uuidPrimaryKey(36),
    clientId: { type: 'text', fieldName: 'client_id', nullable: true },
    user: {
      kind: 'm:1',
      entity: 'User',
      fieldName: 'user_uuid',
      columnType: 'varchar(36)',
      nullable: true,
      deleteRule: 'cascade',
      index: 'auth_refresh_token__idx__user_uuid',
    },
    backend: { type: 'text', nullable: true },
    login: { type: 'text', nullable: true },
    userAgent: { type: 'text', fieldName: 'user_agent', nullable: true },
    remoteAddr: { type: 'text', fieldName: 'remote_addr', nullable: true },
    createdAt: {
      type: 'datetime',
      fieldName: 'created_at',
      nullable: true,
      defaultRaw: 'current_timestamp',
      onCreate: () => new Date(),
    },
    mobile: { type: 'boolean', default: false },
    metadata: { type: 'json', defaultRaw: `'{}'`, onCreate: () => ({}) },
  },
});
