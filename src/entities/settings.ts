import { EntitySchema, type PrimaryKeyProp } from '@mikro-orm/core';

/** Key of the platform uuid (reported in tokens and events), generated once by the initial migration. */
export const XIVO_UUID_SETTING = 'xivo_uuid';

/**
 * `auth_settings`: server-wide values kept in the database (not an upstream table: upstream reads
 * the platform uuid from the environment).
 */
export interface Setting {
  [PrimaryKeyProp]?: 'key';
  key: string;
  value: string;
}

export const Setting = new EntitySchema<Setting>({
  name: 'Setting',
  tableName: 'auth_settings',
  properties: {
    key: { type: 'text', primary: true },
    value: { type: 'text' },
  },
});
