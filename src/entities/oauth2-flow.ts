import { BigIntType, EntitySchema, type PrimaryKeyProp } from '@mikro-orm/core';

/**
 * `auth_oauth2_flow` (not an upstream table): an OAuth2 authorization started by
 * `POST /users/{uuid}/external/<type>` and not completed yet. Kept in the database rather than in the
 * process that started it, so that the provider's redirect may land on any worker or instance.
 */
export interface OAuth2Flow {
  [PrimaryKeyProp]?: 'stateHash';
  /** SHA-256 of the `state`, hex: the state itself, a bearer secret until redeemed, is not stored. */
  stateHash: string;
  authType: string;
  userUuid: string;
  /** The tenant whose configuration holds the client id and secret (the caller's, as upstream). */
  tenantUuid: string;
  /** The requested scopes, space-separated. */
  scope: string;
  codeVerifier: string | null;
  /**
   * The session of the token that started the flow: the flow completes only while it lives, and is
   * deleted with it. Null only in rows of before it was recorded (dropped by the migration).
   */
  sessionUuid: string | null;
  /** Epoch milliseconds. */
  expiresAt: number;
}

export const OAuth2Flow = new EntitySchema<OAuth2Flow>({
  name: 'OAuth2Flow',
  tableName: 'auth_oauth2_flow',
  properties: {
    stateHash: { type: 'string', length: 64, primary: true },
    authType: { type: 'text' },
    userUuid: {
      kind: 'm:1',
      entity: 'User',
      fieldName: 'user_uuid',
      mapToPk: true,
      deleteRule: 'cascade',
      index: 'auth_oauth2_flow__idx__user_uuid',
    },
    tenantUuid: {
      kind: 'm:1',
      entity: 'Tenant',
      fieldName: 'tenant_uuid',
      mapToPk: true,
      deleteRule: 'cascade',
    },
    scope: { type: 'text' },
    codeVerifier: { type: 'text', nullable: true },
    sessionUuid: {
      kind: 'm:1',
      entity: 'Session',
      fieldName: 'session_uuid',
      mapToPk: true,
      nullable: true,
      deleteRule: 'cascade',
      index: 'auth_oauth2_flow__idx__session_uuid',
    },
    expiresAt: { type: new BigIntType('number') },
  },
});
