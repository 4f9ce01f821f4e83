// The upstream wazo-auth database of the fixture, restored into a throw-away PostgreSQL database, and
// what the import tests add to it and read back from targets.

import { spawn } from 'node:child_process';
import { pbkdf2Sync, randomBytes, randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import type { Database } from '../../src/entities/orm.js';
import { createTestDatabase, type TestDatabase } from './db.js';

const FIXTURE_NAME = 'shared/fixtures/upstream-wazo-auth.sql';

/**
 * The dump beside the project (`../shared`), wherever the checkout is; a clean clone elsewhere on this
 * machine finds it under /work; `WAZO_AUTH_UPSTREAM_FIXTURE` overrides both.
 */
export const UPSTREAM_FIXTURE =
  [
    process.env.WAZO_AUTH_UPSTREAM_FIXTURE,
    join(dirname(fileURLToPath(import.meta.url)), '../../..', FIXTURE_NAME),
    join('/work', FIXTURE_NAME),
  ].find((path): path is string => path !== undefined && existsSync(path)) ??
  join(dirname(fileURLToPath(import.meta.url)), '../../..', FIXTURE_NAME);

/** The fixture's tenants and a few of its rows the tests name. */
export const FIXTURE = {
  master: '614f21e9-a16c-4e1b-a224-68acc16becee',
  tenantA: '70f90a56-44a4-4a75-993f-860450eb8757',
  tenantB: '461dd542-80a8-4c2e-bea6-d75a3923474b',
  domainA: 'ad87d3d1-784d-4b3e-a663-c7d677b9e328',
  masterPolicy: '99746994-36af-4522-a089-320e2bf56386',
  masterAllUsers: '3b73e2b2-ab9d-4bd2-9242-f39b08037eee',
  fxUser: 'e0da5f47-f4dd-46aa-b783-17f70bec573b',
  /** fx-user's token, expiring in 2036. */
  liveToken: '595a1033-02d2-4a59-995a-381aaa9ce156',
  /** fx-user's refresh token (client_id `bars-fixture`), to which the live token belongs. */
  fxRefreshToken: '0792e813-e8f6-4710-a2a9-cd1f3f68fcc6',
  /** admin's refresh token, client_id `ceo-bench2`. */
  adminRefreshToken: '35d075a0-9313-4965-a1cd-5876c5bb834e',
  admin: '01ac975e-2f6d-4bdc-b810-1040153ed94c',
  xivoUuid: '00000000-aaaa-bbbb-cccc-000000009497',
} as const;

/**
 * The dump as psql can run it: pg_dump ≥ 15.14 brackets it with `\restrict KEY` / `\unrestrict KEY`,
 * which older psql clients reject as unknown meta-commands; they only guard the restoring session.
 */
function restorableDump(): string {
  return readFileSync(UPSTREAM_FIXTURE, 'utf8')
    .split('\n')
    .filter((line) => !/^\\(un)?restrict\b/.test(line))
    .join('\n');
}

function psql(uri: string, script: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', uri], {
      stdio: ['pipe', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`psql exited with ${code}: ${stderr.trim()}`)),
    );
    child.stdin.end(script);
  });
}

/** A fresh PostgreSQL database holding the fixture (with its `uuid-ossp` extension). */
export async function restoreUpstreamFixture(t: {
  teardown(fn: () => unknown): void;
}): Promise<TestDatabase> {
  const db = await createTestDatabase();
  t.teardown(() => db.drop());
  await psql(db.uri, restorableDump());
  return db;
}

export async function upstreamQuery<T extends object = Record<string, unknown>>(
  uri: string,
  sql: string,
  params: unknown[] = [],
): Promise<T[]> {
  const client = new pg.Client({ connectionString: uri });
  await client.connect();
  try {
    return (await client.query(sql, params)).rows as T[];
  } finally {
    await client.end();
  }
}

/** users.md §2.2, computed here rather than with the server's code: PBKDF2-HMAC-SHA512, 250 000 rounds. */
export function upstreamPasswordHash(password: string): { hash: string; salt: Buffer } {
  const salt = randomBytes(64);
  return { hash: pbkdf2Sync(password, salt, 250_000, 64, 'sha512').toString('hex'), salt };
}

export interface UpstreamUser {
  username: string;
  password: string;
  tenant: string;
  purpose?: 'user' | 'internal' | 'external_api';
  authenticationMethod?: string;
  policies?: string[];
  groups?: string[];
  email?: string;
}

/** A user as upstream writes one, added to a restored copy of the fixture. */
export async function addUpstreamUser(uri: string, user: UpstreamUser): Promise<string> {
  const uuid = randomUUID();
  const { hash, salt } = upstreamPasswordHash(user.password);
  const client = new pg.Client({ connectionString: uri });
  await client.connect();
  try {
    await client.query('begin');
    await client.query(
      `insert into auth_user (uuid, username, password_hash, password_salt, enabled, tenant_uuid, purpose,
         authentication_method) values ($1, $2, $3, $4, true, $5, $6, $7)`,
      [
        uuid,
        user.username,
        hash,
        salt,
        user.tenant,
        user.purpose ?? 'user',
        user.authenticationMethod ?? 'default',
      ],
    );
    for (const policy of user.policies ?? []) {
      await client.query('insert into auth_user_policy (user_uuid, policy_uuid) values ($1, $2)', [
        uuid,
        policy,
      ]);
    }
    for (const group of user.groups ?? []) {
      await client.query('insert into auth_user_group (group_uuid, user_uuid) values ($1, $2)', [
        group,
        uuid,
      ]);
    }
    if (user.email) {
      await client.query(
        'insert into auth_email (uuid, address, confirmed, main, user_uuid) values ($1, $2, true, true, $3)',
        [randomUUID(), user.email, uuid],
      );
    }
    await client.query('commit');
  } finally {
    await client.end();
  }
  return uuid;
}

/** Every table of the initial schema plus the settings, for before/after comparisons of a target. */
const TARGET_TABLES = [
  'auth_access',
  'auth_address',
  'auth_email',
  'auth_external_auth_config',
  'auth_external_auth_type',
  'auth_group',
  'auth_group_policy',
  'auth_ldap_config',
  'auth_policy',
  'auth_policy_access',
  'auth_refresh_token',
  'auth_saml_config',
  'auth_saml_session',
  'auth_session',
  'auth_settings',
  'auth_tenant',
  'auth_tenant_domain',
  'auth_token',
  'auth_user',
  'auth_user_external_auth',
  'auth_user_group',
  'auth_user_policy',
] as const;

/** All rows of every table of a target, in a stable order: equal snapshots mean nothing was written. */
export async function targetContents(orm: Database): Promise<Record<string, string[]>> {
  const em = orm.em.fork();
  const contents: Record<string, string[]> = {};
  for (const table of TARGET_TABLES) {
    const rows = await em.execute<Record<string, unknown>[]>(`select * from "${table}"`);
    contents[table] = rows.map((row) => JSON.stringify(row)).sort();
  }
  return contents;
}

/** What `enrichUpstream` adds, for the tests to log in with and compare. */
export const ADDED = {
  admin: { username: 'imp-admin', password: 'imp-admin-password' },
  userA: {
    username: 'imp-user-a',
    password: 'imp-user-a-password',
    email: 'imp-user-a@fixture-a.example.com',
  },
  ldapBindPassword: 'imp-ldap-bind-secret',
  mobileToken: 'imp-mobile-push-secret',
  samlMetadata:
    '<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="https://idp.fixture-a.example.com"/>',
} as const;

/**
 * Rows the fixture lacks, written as upstream writes them: users with PBKDF2 hashes of known passwords
 * (an administrator of the master tenant with the master policy, a user of tenant A with an email), an
 * address, an LDAP configuration, a SAML configuration and session, and a user's mobile data.
 */
export async function enrichUpstream(uri: string): Promise<{ admin: string; userA: string }> {
  const admin = await addUpstreamUser(uri, {
    ...ADDED.admin,
    tenant: FIXTURE.master,
    purpose: 'internal',
    authenticationMethod: 'native',
    policies: [FIXTURE.masterPolicy],
    groups: [FIXTURE.masterAllUsers],
  });
  const userA = await addUpstreamUser(uri, {
    ...ADDED.userA,
    tenant: FIXTURE.tenantA,
    groups: ['1cbf0fce-4414-4f44-b8b5-f59fa924d7f5'],
  });
  const client = new pg.Client({ connectionString: uri });
  await client.connect();
  try {
    await client.query(
      `insert into auth_address (line_1, city, zip_code, country, tenant_uuid)
       values ('1 fixture street', 'Quebec', 'G1A 0A1', 'CA', $1)`,
      [FIXTURE.tenantA],
    );
    await client.query(
      `insert into auth_ldap_config (tenant_uuid, host, port, protocol_version, protocol_security, bind_dn,
         bind_password, user_base_dn, user_login_attribute, user_email_attribute, search_filters)
       values ($1, 'ldap.fixture-b.example.com', 636, 3, 'ldaps', 'cn=reader,dc=example,dc=com', $2,
         'ou=people,dc=example,dc=com', 'uid', 'mail', '{user_login_attribute}={username}')`,
      [FIXTURE.tenantB, ADDED.ldapBindPassword],
    );
    await client.query(
      `insert into auth_saml_config (tenant_uuid, domain_uuid, entity_id, idp_metadata, acs_url)
       values ($1, $2, 'https://sp.fixture-a.example.com', $3, 'https://fixture-a.example.com/api/auth/0.1/saml/acs')`,
      [FIXTURE.tenantA, FIXTURE.domainA, ADDED.samlMetadata],
    );
    await client.query(
      `insert into auth_saml_session (request_id, session_id, redirect_url, domain, relay_state, login,
         saml_name_id, refresh_token_uuid)
       values ('id-imp-0001', 'impSessionId0000000001', 'https://app.fixture-a.example.com/', 'fixture-a.example.com',
         'imp-relay-state', $1, $2, $3)`,
      [ADDED.userA.email, ADDED.userA.email, FIXTURE.fxRefreshToken],
    );
    await client.query(
      `insert into auth_user_external_auth (user_uuid, external_auth_type_uuid, data)
       select $1, uuid, $2 from auth_external_auth_type where name = 'mobile'`,
      [FIXTURE.fxUser, JSON.stringify({ token: ADDED.mobileToken })],
    );
  } finally {
    await client.end();
  }
  return { admin, userA };
}
