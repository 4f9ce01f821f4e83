import { createHash } from 'node:crypto';
import * as xmllint from '@authenio/samlify-node-xmllint';
import * as samlify from 'samlify';
import type { SpCredentials } from './credentials.js';
import type { StoredConfig } from './store.js';
import { certificatePem } from './xml.js';

export const BINDING = {
  post: 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST',
  redirect: 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect',
} as const;

const RSA_SHA256 = 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256';
// pysaml2's default NameIDPolicy, which upstream sends.
const TRANSIENT = 'urn:oasis:names:tc:SAML:2.0:nameid-format:transient';
/** Tolerated clock difference with the IdP, in milliseconds, on each side of a validity window. */
export const CLOCK_SKEW_MS = 60_000;

let validating = false;

/**
 * The xmllint schema validation, defused. Every call runs a fresh emscripten program which, on its way
 * out, adds a process `uncaughtException` listener (holding the program's memory), prints a blank line on
 * stdout, and registers `process.stdout.once('drain', () => process.exit(status))`: the next time stdout
 * is backed up, the server would exit. The program runs synchronously inside the call, so what it added is
 * exactly what is new afterwards; its console output (and the wrapper's) is dropped meanwhile.
 */
function validateSchema(xml: string): Promise<unknown> {
  const crashHandlers = new Set(process.listeners('uncaughtException'));
  const drainHandlers = new Set(process.stdout.listeners('drain'));
  const { log, error } = console;
  console.log = () => {};
  console.error = () => {};
  try {
    return xmllint.validate(xml);
  } finally {
    console.log = log;
    console.error = error;
    for (const listener of process.listeners('uncaughtException')) {
      if (!crashHandlers.has(listener)) process.off('uncaughtException', listener);
    }
    for (const listener of process.stdout.listeners('drain')) {
      if (!drainHandlers.has(listener)) process.stdout.off('drain', listener as () => void);
    }
  }
}

/** samlify refuses to parse anything until a schema validator is set: once per process. */
export function useSchemaValidator(): void {
  if (validating) return;
  samlify.setSchemaValidator({ validate: validateSchema });
  validating = true;
}

/** The SP of one tenant's configuration and the IdP its metadata describes. */
export interface SamlPeer {
  config: StoredConfig;
  sp: samlify.ServiceProviderInstance;
  idp: samlify.IdentityProviderInstance;
  idpEntityId: string;
  /** The IdP's signing certificates, PEM. */
  idpCertificates: string[];
  /** The IdP's HTTP-Redirect single logout endpoint, if it has one. */
  idpLogoutUrl: string | null;
}

/**
 * Our single logout return URL, next to the ACS: the IdP administrator registers both, and SP metadata
 * declares it. Null when the ACS URL does not end in `/saml/acs`.
 */
export function slsUrlOf(acsUrl: string): string | null {
  return /\/saml\/acs\/?$/.test(acsUrl) ? acsUrl.replace(/\/saml\/acs(\/?)$/, '/saml/sls$1') : null;
}

function asList<T>(value: T | T[] | undefined | null): T[] {
  if (value === undefined || value === null) return [];
  return Array.isArray(value) ? (value.flat() as T[]) : [value];
}

/** Builds the SP of a configuration; `wantLogoutResponseSigned` is per call, see `/saml/sls`. */
export function buildServiceProvider(
  config: StoredConfig,
  credentials: SpCredentials | null,
  wantLogoutResponseSigned = false,
): samlify.ServiceProviderInstance {
  const sls = slsUrlOf(config.acsUrl);
  return samlify.ServiceProvider({
    entityID: config.entityId,
    ...(credentials
      ? {
          privateKey: credentials.privateKey,
          signingCert: credentials.certificate,
          authnRequestsSigned: true,
        }
      : { authnRequestsSigned: false }),
    // The Response must be signed; a signed assertion inside it is accepted too (see xml.ts).
    wantAssertionsSigned: false,
    wantMessageSigned: true,
    wantLogoutResponseSigned,
    requestSignatureAlgorithm: RSA_SHA256,
    assertionConsumerService: [{ Binding: BINDING.post, Location: config.acsUrl }],
    singleLogoutService: sls ? [{ Binding: BINDING.redirect, Location: sls }] : [],
    nameIDFormat: [TRANSIENT],
    allowCreate: true,
    clockDrifts: [-CLOCK_SKEW_MS, CLOCK_SKEW_MS],
  });
}

function buildPeer(config: StoredConfig, credentials: SpCredentials | null): SamlPeer {
  const idp = samlify.IdentityProvider({
    metadata: config.idpMetadata,
    // Our LogoutRequests are signed whatever the metadata says, as our AuthnRequests.
    wantLogoutRequestSigned: true,
  });
  // samlify refuses to sign an AuthnRequest for an IdP whose metadata lacks WantAuthnRequestsSigned="true"
  // (common: Azure AD's has none); upstream signs them regardless, and an IdP may ignore the signature.
  idp.entityMeta.isWantAuthnRequestsSigned = () => true;
  const idpEntityId = idp.entityMeta.getEntityID();
  if (typeof idpEntityId !== 'string' || idpEntityId === '') throw new Error('IdP metadata has no entityID');
  const idpCertificates = asList<string>(idp.entityMeta.getX509Certificate('signing') as string | string[])
    .map(certificatePem)
    .filter((pem): pem is string => pem !== null);
  if (idpCertificates.length === 0) throw new Error('IdP metadata has no usable signing certificate');
  const slo = idp.entityMeta.getSingleLogoutService('redirect');
  return {
    config,
    sp: buildServiceProvider(config, credentials),
    idp,
    idpEntityId,
    idpCertificates,
    idpLogoutUrl: typeof slo === 'string' && slo !== '' ? slo : null,
  };
}

/**
 * The SP and IdP entities of each configuration, built on first use and rebuilt when the stored record
 * changes. The record itself is read from the database at every request, so a change made through any
 * worker or instance applies at once everywhere, with no invalidation message.
 */
export class SamlPeers {
  private readonly built = new Map<string, { fingerprint: string; peer: SamlPeer }>();

  constructor(private readonly credentials: () => SpCredentials | null) {}

  /** Throws when the metadata cannot be turned into an IdP. */
  of(config: StoredConfig): SamlPeer {
    const fingerprint = createHash('sha256')
      .update(JSON.stringify([config.entityId, config.acsUrl, config.idpMetadata]))
      .digest('base64');
    const known = this.built.get(config.tenantUuid);
    if (known?.fingerprint === fingerprint && known.peer.config.domainUuid === config.domainUuid) {
      return known.peer;
    }
    useSchemaValidator();
    const peer = buildPeer(config, this.credentials());
    this.built.set(config.tenantUuid, { fingerprint, peer });
    return peer;
  }

  clear(): void {
    this.built.clear();
  }
}
