// An in-process SAML identity provider for the SAML tests: key pairs made with openssl at test start, a
// samlify IdentityProvider for its metadata and for reading our requests, and hand-built Responses (valid
// or broken in one chosen way), signed with samlify's signing primitive.

import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inflateRawSync } from 'node:zlib';
import * as samlify from 'samlify';
import type { Config } from '../../src/config/index.js';
import { TenantDomain } from '../../src/entities/index.js';
import type { Database } from '../../src/entities/orm.js';
import { useSchemaValidator } from '../../src/saml/providers.js';
import { JSON_HEADERS, startTestApp, type TestApp } from './app.js';
import { adminCaller, type Caller } from './callers.js';
import { createTenant, createUser } from './fixtures.js';
import type { ClientResponse } from './http.js';
import { selfSignedCertificate } from './tls.js';

// The server's validator setup (xmllint, defused): samlify's validator is global to the process.
useSchemaValidator();

// Exports samlify defines with getters (SamlLib, Utility) are not seen by an ESM import of the CommonJS module.
const { SamlLib, Utility } = createRequire(import.meta.url)('samlify') as typeof samlify;

const PROTOCOL = 'urn:oasis:names:tc:SAML:2.0:protocol';
const ASSERTION = 'urn:oasis:names:tc:SAML:2.0:assertion';
const REDIRECT = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect';
const RSA_SHA256 = 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256';
export const SUCCESS = 'urn:oasis:names:tc:SAML:2.0:status:Success';
export const TRANSIENT = 'urn:oasis:names:tc:SAML:2.0:nameid-format:transient';

export interface KeyPair {
  keyFile: string;
  certFile: string;
  key: string;
  cert: string;
}

/** A fresh RSA-2048 key and self-signed certificate, valid two days. */
export function keyPair(dir: string, name: string): KeyPair {
  const { key: keyFile, cert: certFile } = selfSignedCertificate(name, dir);
  return { keyFile, certFile, key: readFileSync(keyFile, 'utf8'), cert: readFileSync(certFile, 'utf8') };
}

/** The SP pair (for `saml.key_file`/`cert_file`), the IdP's, and a stranger's; removed at teardown. */
export function samlKeys(t: { teardown(fn: () => unknown): void }): {
  sp: KeyPair;
  idp: KeyPair;
  other: KeyPair;
} {
  const dir = mkdtempSync(join(tmpdir(), 'wazo-saml-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return { sp: keyPair(dir, 'sp'), idp: keyPair(dir, 'idp'), other: keyPair(dir, 'other') };
}

/** A multipart/form-data body, as a browser or `requests` sends an upload. */
export function multipart(
  fields: Record<string, string>,
  files: Record<string, { filename: string; content: string }> = {},
): { body: Buffer; contentType: string } {
  const boundary = `----wazo${randomUUID().replace(/-/g, '')}`;
  const parts: string[] = [];
  for (const [name, value] of Object.entries(fields)) {
    parts.push(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`);
  }
  for (const [name, file] of Object.entries(files)) {
    parts.push(
      `--${boundary}\r\nContent-Disposition: form-data; name="${name}"; filename="${file.filename}"\r\n` +
        `Content-Type: application/xml\r\n\r\n${file.content}\r\n`,
    );
  }
  return {
    body: Buffer.from(`${parts.join('')}--${boundary}--\r\n`),
    contentType: `multipart/form-data; boundary=${boundary}`,
  };
}

/** A browser's auto-posted form. */
export function formBody(fields: Record<string, string>): { body: string; contentType: string } {
  return { body: new URLSearchParams(fields).toString(), contentType: 'application/x-www-form-urlencoded' };
}

/** A SAML message of a Redirect-binding URL, its signature data, and the octets that were signed. */
export interface RedirectMessage {
  xml: string;
  relayState: string | null;
  sigAlg: string | null;
  signature: string | null;
  query: Record<string, string>;
  octetString: string;
}

export function readRedirect(location: string, parameter: 'SAMLRequest' | 'SAMLResponse'): RedirectMessage {
  const url = new URL(location);
  const params = url.searchParams;
  const encoded = params.get(parameter);
  if (!encoded) throw new Error(`no ${parameter} in ${location}`);
  const rawQuery = url.search.slice(1);
  const signatureAt = rawQuery.indexOf('&Signature=');
  const query: Record<string, string> = {};
  for (const [name, value] of params) query[name] = value;
  return {
    xml: inflateRawSync(Buffer.from(encoded, 'base64')).toString('utf8'),
    relayState: params.get('RelayState'),
    sigAlg: params.get('SigAlg'),
    signature: params.get('Signature'),
    query,
    octetString: signatureAt === -1 ? rawQuery : rawQuery.slice(0, signatureAt),
  };
}

/** The value of `attribute` on the root element of `xml`. */
export function rootAttribute(xml: string, attribute: string): string | null {
  const root = /<[^?!][^>]*>/.exec(xml)?.[0] ?? '';
  return new RegExp(`\\s${attribute}="([^"]*)"`).exec(root)?.[1] ?? null;
}

export interface ResponseOptions {
  inResponseTo: string | null;
  /** The ACS URL the SP registered: Destination and Recipient. */
  acsUrl: string;
  /** The SP entity ID: the Audience. */
  audience: string;
  /** The value of the login attribute. */
  login?: string | null;
  loginAttribute?: string;
  destination?: string | null;
  recipient?: string;
  nameId?: string;
  nameIdFormat?: string;
  nameQualifier?: string;
  spNameQualifier?: string;
  sessionIndex?: string;
  issuer?: string;
  status?: string;
  notBefore?: Date;
  notOnOrAfter?: Date;
  /** Sign the Response (default) and/or its assertion. */
  signResponse?: boolean;
  signAssertion?: boolean;
  /** Sign with this pair instead of the IdP's (a certificate the metadata does not list). */
  signer?: KeyPair;
  /** Change the login after signing. */
  tamper?: boolean;
  /** Corrupt the Response's own signature value (the first one in the document). */
  breakSignature?: boolean;
}

const escapeXml = (text: string) =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const attr = (name: string, value: string | null | undefined) =>
  value === null || value === undefined ? '' : ` ${name}="${escapeXml(value)}"`;

export interface TestIdpOptions {
  keys: KeyPair;
  entityId?: string;
  ssoUrl?: string;
  /** null: an IdP without single logout. */
  sloUrl?: string | null;
}

export class TestIdp {
  readonly entityId: string;
  readonly ssoUrl: string;
  readonly sloUrl: string | null;
  readonly idp: samlify.IdentityProviderInstance;
  readonly metadata: string;

  constructor(private readonly options: TestIdpOptions) {
    this.entityId = options.entityId ?? 'https://idp.example.test/metadata';
    this.ssoUrl = options.ssoUrl ?? 'https://idp.example.test/sso';
    this.sloUrl = options.sloUrl === undefined ? 'https://idp.example.test/slo' : options.sloUrl;
    this.idp = samlify.IdentityProvider({
      entityID: this.entityId,
      privateKey: options.keys.key,
      signingCert: options.keys.cert,
      wantAuthnRequestsSigned: true,
      wantLogoutRequestSigned: true,
      requestSignatureAlgorithm: RSA_SHA256,
      singleSignOnService: [{ Binding: REDIRECT, Location: this.ssoUrl }],
      singleLogoutService: this.sloUrl ? [{ Binding: REDIRECT, Location: this.sloUrl }] : [],
    });
    this.metadata = this.idp.getMetadata();
  }

  /** Our SP as the IdP knows it, from the SP metadata the server publishes. */
  sp(spMetadata: string, wantLogoutResponseSigned = false): samlify.ServiceProviderInstance {
    return samlify.ServiceProvider({ metadata: spMetadata, wantLogoutResponseSigned });
  }

  /** The AuthnRequest of `/saml/sso`'s `location`, its signature checked against the SP metadata. */
  async loginRequest(location: string, spMetadata: string): Promise<RedirectMessage & { id: string }> {
    const message = readRedirect(location, 'SAMLRequest');
    const parsed = await this.idp.parseLoginRequest(this.sp(spMetadata), 'redirect', {
      query: message.query,
      octetString: message.octetString,
    });
    const id = (parsed.extract.request as Record<string, string>).id!;
    return { ...message, id };
  }

  /** A `SAMLResponse` (base64) for the HTTP-POST binding. */
  response(options: ResponseOptions): string {
    const now = Date.now();
    const notBefore = (options.notBefore ?? new Date(now - 1000)).toISOString();
    const notOnOrAfter = (options.notOnOrAfter ?? new Date(now + 300_000)).toISOString();
    const issuer = options.issuer ?? this.entityId;
    const login = options.login === undefined ? 'alice' : options.login;
    const attributes =
      login === null
        ? ''
        : `<saml:AttributeStatement><saml:Attribute Name="${escapeXml(options.loginAttribute ?? 'name')}">` +
          `<saml:AttributeValue xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="xs:string">${escapeXml(login)}</saml:AttributeValue>` +
          '</saml:Attribute></saml:AttributeStatement>';
    let xml =
      `<samlp:Response xmlns:samlp="${PROTOCOL}" xmlns:saml="${ASSERTION}" ID="_r${randomUUID()}" Version="2.0"` +
      ` IssueInstant="${new Date(now).toISOString()}"` +
      attr('Destination', options.destination === undefined ? options.acsUrl : options.destination) +
      attr('InResponseTo', options.inResponseTo) +
      `><saml:Issuer>${escapeXml(issuer)}</saml:Issuer>` +
      `<samlp:Status><samlp:StatusCode Value="${options.status ?? SUCCESS}"/></samlp:Status>` +
      `<saml:Assertion ID="_a${randomUUID()}" Version="2.0" IssueInstant="${new Date(now).toISOString()}">` +
      `<saml:Issuer>${escapeXml(issuer)}</saml:Issuer>` +
      `<saml:Subject><saml:NameID${attr('Format', options.nameIdFormat ?? TRANSIENT)}${attr('NameQualifier', options.nameQualifier)}${attr('SPNameQualifier', options.spNameQualifier)}>${escapeXml(options.nameId ?? 'name-id-of-alice')}</saml:NameID>` +
      '<saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer">' +
      `<saml:SubjectConfirmationData NotOnOrAfter="${notOnOrAfter}"${attr('Recipient', options.recipient ?? options.acsUrl)}${attr('InResponseTo', options.inResponseTo)}/>` +
      '</saml:SubjectConfirmation></saml:Subject>' +
      `<saml:Conditions NotBefore="${notBefore}" NotOnOrAfter="${notOnOrAfter}"><saml:AudienceRestriction>` +
      `<saml:Audience>${escapeXml(options.audience)}</saml:Audience></saml:AudienceRestriction></saml:Conditions>` +
      `<saml:AuthnStatement AuthnInstant="${new Date(now).toISOString()}"${attr('SessionIndex', options.sessionIndex ?? '_session-1')}>` +
      '<saml:AuthnContext><saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport</saml:AuthnContextClassRef></saml:AuthnContext>' +
      `</saml:AuthnStatement>${attributes}</saml:Assertion></samlp:Response>`;
    const signer = options.signer ?? this.options.keys;
    const sign = (message: string, assertion: boolean) =>
      SamlLib.constructSAMLSignature({
        rawSamlMessage: message,
        privateKey: signer.key,
        signingCert: Utility.normalizeCerString(signer.cert),
        signatureAlgorithm: RSA_SHA256,
        isBase64Output: false,
        ...(assertion
          ? {
              referenceTagXPath: "/*[local-name(.)='Response']/*[local-name(.)='Assertion']",
              signatureConfig: {
                prefix: 'ds',
                location: {
                  reference:
                    "/*[local-name(.)='Response']/*[local-name(.)='Assertion']/*[local-name(.)='Issuer']",
                  action: 'after',
                },
              },
            }
          : {
              isMessageSigned: true,
              signatureConfig: {
                prefix: 'ds',
                location: {
                  reference: "/*[local-name(.)='Response']/*[local-name(.)='Issuer']",
                  action: 'after',
                },
              },
            }),
      });
    if (options.signAssertion) xml = sign(xml, true);
    if (options.signResponse !== false) xml = sign(xml, false);
    if (options.tamper) xml = xml.replace(`>${escapeXml(login ?? '')}<`, '>mallory<');
    if (options.breakSignature) {
      xml = xml.replace(
        /<ds:SignatureValue>(.)/,
        (_all, first: string) => `<ds:SignatureValue>${first === 'A' ? 'B' : 'A'}`,
      );
    }
    return Buffer.from(xml).toString('base64');
  }

  /**
   * The LogoutRequest of `/saml/logout`'s `location`, its signature checked, and the IdP's LogoutResponse
   * for it: the path and query to send to `/saml/sls`.
   */
  async logout(
    location: string,
    spMetadata: string,
    { signed = true, inResponseTo }: { signed?: boolean; inResponseTo?: string } = {},
  ): Promise<{ request: RedirectMessage & { id: string; nameId: string | null }; slsQuery: string }> {
    const message = readRedirect(location, 'SAMLRequest');
    const sp = this.sp(spMetadata, signed);
    const parsed = await this.idp.parseLogoutRequest(sp, 'redirect', {
      query: message.query,
      octetString: message.octetString,
    });
    const id = (parsed.extract.request as Record<string, string>).id!;
    const requestInfo = { extract: { request: { id: inResponseTo ?? id } } };
    const answer = this.idp.createLogoutResponse(sp, requestInfo, 'redirect', message.relayState ?? '');
    return {
      request: { ...message, id, nameId: (parsed.extract.nameID as string | undefined) ?? null },
      slsQuery: new URL(answer.context).search,
    };
  }
}

// ---------------------------------------------------------------------------------------------------------
// A server with SAML set up for one tenant: what the SAML test files start from.

export const ACS_URL = 'https://stack.example.com/api/auth/0.1/saml/acs';
export const ENTITY_ID = 'https://stack.example.com/api/auth/0.1/saml/sp';
export const APP_URL = 'https://app.example.com/login/done';

/** A domain name of `tenant`, written to the database; its uuid. */
export async function addDomain(orm: Database, tenant: string, name: string): Promise<string> {
  const em = orm.em.fork();
  const domain = em.create(TenantDomain, { tenant, name });
  await em.flush();
  return domain.uuid;
}

/** `POST /backends/saml` (or PUT) as `caller`, in `tenant`. */
export function sendConfig(
  server: TestApp,
  token: string,
  method: 'POST' | 'PUT',
  fields: Record<string, string>,
  files: Record<string, { filename: string; content: string }>,
  tenant?: string,
): Promise<ClientResponse> {
  const { body, contentType } = multipart(fields, files);
  return server.call({
    method,
    path: '/0.1/backends/saml',
    headers: {
      'X-Auth-Token': token,
      'Content-Type': contentType,
      ...(tenant ? { 'Wazo-Tenant': tenant } : {}),
    },
    body,
  });
}

export interface SamlWorld {
  server: TestApp;
  keys: { sp: KeyPair; idp: KeyPair; other: KeyPair };
  admin: Caller;
  tenant: string;
  domain: string;
  domainUuid: string;
  idp: TestIdp;
  /** The SP metadata the server publishes for the tenant. */
  spMetadata: string;
  /** A user of the tenant whose method is `saml`, login `alice`. */
  alice: string;
  /** `POST /saml/sso`; the answer, and the AuthnRequest the IdP received. */
  sso(redirectUrl?: string): Promise<{ sessionId: string; relayState: string; requestId: string }>;
  /** `POST /saml/acs` as the browser auto-posts it. */
  acs(samlResponse: string, relayState: string, multipartForm?: boolean): Promise<ClientResponse>;
  /** A valid Response to `requestId`, with `options` changed. */
  response(requestId: string | null, options?: Partial<ResponseOptions>): string;
  /** `POST /token` with a `saml_session_id`. */
  exchange(sessionId: string, body?: object): Promise<ClientResponse>;
  /** sso → acs → token (offline, client `web` by default): the token body. */
  login(
    body?: object,
    options?: Partial<ResponseOptions>,
  ): Promise<{ token: string; refresh_token?: string; sessionId: string }>;
}

/**
 * The whole server with the SP key pair of `samlKeys`, a tenant `acme` with the domain
 * `acme.example.com`, its SAML configuration for an in-process IdP, and `alice`, a `saml` user of it.
 */
export async function startSamlWorld(
  t: { teardown(fn: () => unknown): void },
  configure: (config: Config) => void = () => {},
  idpOptions: Partial<TestIdpOptions> = {},
): Promise<SamlWorld> {
  const keys = samlKeys(t);
  const server = await startTestApp(t, (config) => {
    config.saml.key_file = keys.sp.keyFile;
    config.saml.cert_file = keys.sp.certFile;
    configure(config);
  });
  const admin = await adminCaller(server);
  const tenant = await createTenant(server.orm, 'acme');
  const domain = 'acme.example.com';
  const domainUuid = await addDomain(server.orm, tenant, domain);
  const idp = new TestIdp({ keys: keys.idp, ...idpOptions });
  const created = await sendConfig(
    server,
    admin.token,
    'POST',
    { domain_uuid: domainUuid, entity_id: ENTITY_ID, acs_url: ACS_URL },
    { metadata: { filename: 'idp.xml', content: idp.metadata } },
    tenant,
  );
  if (created.status !== 200) throw new Error(`SAML config: ${created.status} ${created.text}`);
  const spMetadata = (await admin.get('/backends/saml/sp_metadata', tenant)).text;
  const alice = await createUser(server.orm, {
    username: 'alice',
    tenant,
    authenticationMethod: 'saml',
    acl: ['auth.users.me.read'],
  });
  const world: SamlWorld = {
    server,
    keys,
    admin,
    tenant,
    domain,
    domainUuid,
    idp,
    spMetadata,
    alice,
    async sso(redirectUrl = APP_URL) {
      const res = await server.call({
        method: 'POST',
        path: '/0.1/saml/sso',
        headers: JSON_HEADERS,
        body: JSON.stringify({ redirect_url: redirectUrl, domain }),
      });
      if (res.status !== 200) throw new Error(`sso: ${res.status} ${res.text}`);
      const { location, saml_session_id } = res.json<{ location: string; saml_session_id: string }>();
      const request = await idp.loginRequest(location, spMetadata);
      return { sessionId: saml_session_id, relayState: request.relayState!, requestId: request.id };
    },
    acs(samlResponse, relayState, multipartForm = false) {
      const { body, contentType } = multipartForm
        ? multipart({ SAMLResponse: samlResponse, RelayState: relayState })
        : formBody({ SAMLResponse: samlResponse, RelayState: relayState });
      return server.call({
        method: 'POST',
        path: '/0.1/saml/acs',
        headers: { 'Content-Type': contentType },
        body,
      });
    },
    response(requestId, options = {}) {
      return idp.response({ inResponseTo: requestId, acsUrl: ACS_URL, audience: ENTITY_ID, ...options });
    },
    exchange(sessionId, body = {}) {
      return server.call({
        method: 'POST',
        path: '/0.1/token',
        headers: JSON_HEADERS,
        body: JSON.stringify({ saml_session_id: sessionId, ...body }),
      });
    },
    async login(body = { access_type: 'offline', client_id: 'web' }, options = {}) {
      const { sessionId, relayState, requestId } = await world.sso();
      const posted = await world.acs(world.response(requestId, options), relayState);
      if (posted.status !== 302) throw new Error(`acs: ${posted.status} ${posted.text}`);
      const res = await world.exchange(sessionId, body);
      if (res.status !== 200) throw new Error(`token: ${res.status} ${res.text}`);
      return { ...res.json<{ data: { token: string; refresh_token?: string } }>().data, sessionId };
    },
  };
  return world;
}
