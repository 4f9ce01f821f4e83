// A throw-away OpenLDAP server (Debian's slapd) for the LDAP tests: its own config, mdb database and
// certificates in a temporary folder, on loopback high ports, seeded with the entries of ldap.md §4–5.

import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../src/net/free-port.js';

export const SUFFIX = 'dc=wazo-auth,dc=wazo,dc=community';
export const PEOPLE_DN = `ou=people,${SUFFIX}`;
export const ADMIN_DN = `cn=admin,${SUFFIX}`;
export const ADMIN_PASSWORD = 'admin-secret';
export const SERVICE_DN = `cn=wazo_auth,${PEOPLE_DN}`;
export const SERVICE_PASSWORD = 'S3rvice-Passw0rd';

export interface LdapTestUser {
  /** The login: the entry's `uid`. */
  uid: string;
  /** The RDN value as written in the DN, escaped by hand (RFC 4514) rather than by the code under test. */
  rdn: string;
  password: string;
  mail: string | null;
  employeeType: 'human' | 'robot';
}

const person = (
  uid: string,
  mail: string | null,
  employeeType: 'human' | 'robot' = 'human',
): LdapTestUser => ({
  uid,
  rdn: uid,
  password: `${uid}-password`,
  mail,
  employeeType,
});

/** The directory's people (ldap.md §4 table), by role in the tests. */
export const LDAP_USERS = {
  alice: person('awonderland', 'awonderland@wazo-auth.com'),
  /** Mixed case in the directory; the Wazo user has the address in lower case. */
  jack: person('jsparrow', 'JSparrow@WAZO-auth.com'),
  /** The Wazo user has no e-mail, its username is this address. */
  humbert: person('hjohnson', 'hjohnson@wazo-auth.com'),
  /** An entry without `mail`. */
  nomail: person('nmail', null),
  /** May search its own `mail` but not read it (olcAccess below). */
  searcher: person('msearch', 'msearch@wazo-auth.com'),
  /** Excluded by the `employeeType=human` filter. */
  robot: person('rbot', 'rbot@wazo-auth.com', 'robot'),
  /** Its Wazo user lives in another tenant. */
  foreigner: person('fother', 'fother@wazo-auth.com'),
  /** Its Wazo user has no e-mail and another username. */
  unmatched: person('nwazo', 'nwazo@wazo-auth.com'),
  /** Every character RFC 4514 escapes, and a leading `#`. */
  dnSpecial: {
    uid: '#o,b+c"d\\e<f>g;h=i',
    rdn: '\\#o\\,b\\+c\\"d\\\\e\\<f\\>g\\;h\\=i',
    password: 'dn-special-password',
    mail: 'dnspecial@wazo-auth.com',
    employeeType: 'human',
  },
  /** Every character RFC 4515 escapes in a filter value (NUL aside). */
  filterSpecial: {
    uid: 'star*(paren)\\back',
    rdn: 'star*(paren)\\\\back',
    password: 'filter-special-password',
    mail: 'filterspecial@wazo-auth.com',
    employeeType: 'human',
  },
} satisfies Record<string, LdapTestUser>;

export interface Slapd {
  host: string;
  /** Plain LDAP (StartTLS available). */
  port: number;
  /** LDAP over TLS. */
  ldapsPort: number;
  /** Another loopback address, also serving plain LDAP on `port`, that the certificate does not name. */
  aliasHost: string;
  /** PEM of the CA that signed the server's certificate (SAN `IP:127.0.0.1`, `DNS:localhost`). */
  ca: string;
  /** PEM of an unrelated CA, which must not make the server trusted. */
  otherCa: string;
  stop(): Promise<void>;
}

const dnOf = (user: LdapTestUser) => `uid=${user.rdn},${PEOPLE_DN}`;

/** An LDIF line, base64 unless the value is plainly safe (RFC 2849 allows more, this is simpler). */
function ldifLine(attribute: string, value: string): string {
  return /^[A-Za-z0-9][A-Za-z0-9 ._@=,-]*$/.test(value) && !value.endsWith(' ')
    ? `${attribute}: ${value}`
    : `${attribute}:: ${Buffer.from(value, 'utf8').toString('base64')}`;
}

function seed(): string {
  const entries: [string, [string, string][]][] = [
    [
      SUFFIX,
      [
        ['objectClass', 'dcObject'],
        ['objectClass', 'organization'],
        ['dc', 'wazo-auth'],
        ['o', 'wazo-auth'],
      ],
    ],
    [
      PEOPLE_DN,
      [
        ['objectClass', 'organizationalUnit'],
        ['ou', 'people'],
      ],
    ],
    [
      SERVICE_DN,
      [
        ['objectClass', 'inetOrgPerson'],
        ['cn', 'wazo_auth'],
        ['sn', 'wazo_auth'],
        ['userPassword', SERVICE_PASSWORD],
      ],
    ],
    ...Object.values(LDAP_USERS).map((user): [string, [string, string][]] => [
      dnOf(user),
      [
        ['objectClass', 'inetOrgPerson'],
        ['uid', user.uid],
        ['cn', `${user.uid} test`],
        ['sn', 'test'],
        ['userPassword', user.password],
        ['employeeType', user.employeeType],
        ...(user.mail ? [['mail', user.mail] as [string, string]] : []),
      ],
    ]),
  ];
  return entries
    .map(([dn, attributes]) =>
      [ldifLine('dn', dn), ...attributes.map(([name, value]) => ldifLine(name, value))].join('\n'),
    )
    .join('\n\n')
    .concat('\n');
}

function slapdConf(dir: string): string {
  return `include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
modulepath /usr/lib/ldap
moduleload back_mdb
pidfile ${dir}/slapd.pid
argsfile ${dir}/slapd.args
TLSCACertificateFile ${dir}/ca.pem
TLSCertificateFile ${dir}/server.pem
TLSCertificateKeyFile ${dir}/server.key

database mdb
maxsize 16777216
suffix "${SUFFIX}"
rootdn "${ADMIN_DN}"
rootpw ${ADMIN_PASSWORD}
directory ${dir}/db

access to attrs=userPassword
  by anonymous auth
  by * none
access to attrs=mail
  by dn.exact="${dnOf(LDAP_USERS.searcher)}" search
  by * read
access to *
  by * read
`;
}

const openssl = (args: string[]) => execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });

/** A CA (`<name>.pem`, `<name>.key`) in `dir`. */
function makeCa(dir: string, name: string, commonName: string): void {
  openssl([
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-keyout',
    join(dir, `${name}.key`),
    '-out',
    join(dir, `${name}.pem`),
    '-days',
    '2',
    '-subj',
    `/CN=${commonName}`,
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  ]);
}

function makeCertificates(dir: string): void {
  makeCa(dir, 'ca', 'wazo-auth test LDAP CA');
  makeCa(dir, 'other-ca', 'unrelated test CA');
  openssl([
    'req',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-keyout',
    join(dir, 'server.key'),
    '-out',
    join(dir, 'server.csr'),
    '-subj',
    '/CN=localhost',
  ]);
  writeFileSync(
    join(dir, 'server.ext'),
    'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n' +
      'keyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n',
  );
  openssl([
    'x509',
    '-req',
    '-in',
    join(dir, 'server.csr'),
    '-CA',
    join(dir, 'ca.pem'),
    '-CAkey',
    join(dir, 'ca.key'),
    '-CAcreateserial',
    '-out',
    join(dir, 'server.pem'),
    '-days',
    '2',
    '-extfile',
    join(dir, 'server.ext'),
  ]);
}

/** Resolves once something accepts TCP connections on the port. */
function accepting(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, host);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

const ALIAS_HOST = '127.0.0.2';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function launch(
  dir: string,
  host: string,
): Promise<{ child: ChildProcess; port: number; ldapsPort: number }> {
  const port = await freePort(host);
  const ldapsPort = await freePort(host);
  const child = spawn(
    '/usr/sbin/slapd',
    [
      '-f',
      join(dir, 'slapd.conf'),
      '-h',
      `ldap://${host}:${port}/ ldaps://${host}:${ldapsPort}/ ldap://${ALIAS_HOST}:${port}/`,
      '-d',
      '0',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  let exited = false;
  child.once('exit', () => {
    exited = true;
  });
  for (let attempt = 0; attempt < 100 && !exited; attempt++) {
    if ((await accepting(host, port)) && (await accepting(host, ldapsPort)))
      return { child, port, ldapsPort };
    await sleep(100);
  }
  child.kill('SIGKILL');
  throw new Error(`slapd did not start${exited ? ` (exit ${child.exitCode})` : ''}: ${stderr}`);
}

/** Starts a seeded slapd, stopped and removed at the test's teardown. */
export async function startSlapd(t: { teardown(fn: () => unknown): void }): Promise<Slapd> {
  const dir = mkdtempSync(join(tmpdir(), 'wazo-auth-slapd-'));
  const host = '127.0.0.1';
  mkdirSync(join(dir, 'db'));
  makeCertificates(dir);
  writeFileSync(join(dir, 'slapd.conf'), slapdConf(dir));
  writeFileSync(join(dir, 'seed.ldif'), seed());
  execFileSync('/usr/sbin/slapadd', ['-q', '-f', join(dir, 'slapd.conf'), '-l', join(dir, 'seed.ldif')], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });

  // Another process may take a port between freePort() and slapd's bind: try again with new ones.
  let started: Awaited<ReturnType<typeof launch>> | undefined;
  for (let attempt = 0; !started; attempt++) {
    try {
      started = await launch(dir, host);
    } catch (error) {
      if (attempt === 2) {
        rmSync(dir, { recursive: true, force: true });
        throw error;
      }
    }
  }
  const { child, port, ldapsPort } = started;

  let stopped: Promise<void> | undefined;
  const stop = () => {
    stopped ??= new Promise<void>((resolve) => {
      let kill: NodeJS.Timeout | undefined;
      const done = () => {
        clearTimeout(kill);
        rmSync(dir, { recursive: true, force: true });
        resolve();
      };
      if (child.exitCode !== null || child.signalCode !== null) return done();
      kill = setTimeout(() => child.kill('SIGKILL'), 5000);
      child.once('exit', done);
      child.kill('SIGTERM');
    });
    return stopped;
  };
  t.teardown(stop);
  return {
    host,
    port,
    ldapsPort,
    aliasHost: ALIAS_HOST,
    ca: readFileSync(join(dir, 'ca.pem'), 'utf8'),
    otherCa: readFileSync(join(dir, 'other-ca.pem'), 'utf8'),
    stop,
  };
}
