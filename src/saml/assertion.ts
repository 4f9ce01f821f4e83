import type { SamlPeer } from './providers.js';
import { CLOCK_SKEW_MS } from './providers.js';
import type { Asserted } from './store.js';
import { attributeOf, children, NS, onlyChild, parseXml, responseSignatureValid, textOf } from './xml.js';

/** The assertion attributes that name the Wazo login, in order of preference (saml.md §4.2). */
export const LOGIN_ATTRIBUTES = [
  'name',
  'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name',
  'urn:oid:2.5.4.41',
];

const BEARER = 'urn:oasis:names:tc:SAML:2.0:cm:bearer';

/** The Response is not acceptable; `reason` is for the log only. */
export class RejectedResponse extends Error {}

/** A valid Response answering another pending login than the one its RelayState names. */
export class ForeignResponse extends Error {}

export interface ResponseExpectations {
  /** The ID of the AuthnRequest of the session the RelayState names. */
  requestId: string;
  /** Whether another pending login sent an AuthnRequest with that ID. */
  isPendingRequest(id: string): Promise<boolean>;
  now: number;
}

const reject = (reason: string): never => {
  throw new RejectedResponse(reason);
};

function parseTime(value: string | null): number | null {
  if (value === null) return null;
  const time = Date.parse(value);
  return Number.isNaN(time) ? reject(`unreadable time ${value}`) : time;
}

/**
 * Validates a `SAMLResponse` (base64, HTTP-POST binding) for a pending login (saml.md §4.2 step 3): samlify
 * checks the schema, the status, a signature, the issuer and the Conditions' validity window; this adds
 * what it leaves to the caller: the Response's own signature, InResponseTo, Destination, the audience, and
 * the bearer SubjectConfirmation (Recipient, InResponseTo, NotOnOrAfter).
 */
export async function validateResponse(
  peer: SamlPeer,
  samlResponse: string,
  expected: ResponseExpectations,
): Promise<Asserted> {
  let xml: string;
  try {
    const parsed = await peer.sp.parseLoginResponse(peer.idp, 'post', {
      body: { SAMLResponse: samlResponse },
    });
    xml = parsed.samlContent;
  } catch (error) {
    throw new RejectedResponse(error instanceof Error ? error.message : String(error));
  }
  const doc = parseXml(xml);
  const response = doc.documentElement!;
  if (!responseSignatureValid(xml, doc, peer.idpCertificates)) reject('the Response itself is not signed');

  const inResponseTo = attributeOf(response, 'InResponseTo');
  if (inResponseTo !== expected.requestId) {
    // Unsolicited, or answering a request nobody waits for: a bad Response. Answering another pending
    // login: that login's RelayState was not the one posted, the context is wrong (saml.md §4.2 step 5).
    if (inResponseTo !== null && (await expected.isPendingRequest(inResponseTo))) throw new ForeignResponse();
    reject(`InResponseTo ${inResponseTo} is not the request ${expected.requestId}`);
  }
  const { acsUrl, entityId } = peer.config;
  if (attributeOf(response, 'Destination') !== acsUrl) reject('Destination is not the ACS URL');
  if (children(response, NS.assertion, 'EncryptedAssertion').length > 0) reject('encrypted assertion');
  const assertion = onlyChild(response, NS.assertion, 'Assertion') ?? reject('not exactly one assertion');
  if (textOf(onlyChild(assertion, NS.assertion, 'Issuer')) !== peer.idpEntityId) reject('wrong issuer');

  const conditions = onlyChild(assertion, NS.assertion, 'Conditions') ?? reject('no conditions');
  const restrictions = children(conditions, NS.assertion, 'AudienceRestriction');
  if (restrictions.length === 0) reject('no audience restriction');
  for (const restriction of restrictions) {
    const audiences = children(restriction, NS.assertion, 'Audience').map((audience) => textOf(audience));
    if (!audiences.includes(entityId)) reject('the SP is not in the audience');
  }
  const { now } = expected;
  const notBefore = parseTime(attributeOf(conditions, 'NotBefore'));
  const notOnOrAfter = parseTime(attributeOf(conditions, 'NotOnOrAfter'));
  if (notBefore !== null && now + CLOCK_SKEW_MS < notBefore) reject('assertion not yet valid');
  if (notOnOrAfter !== null && now - CLOCK_SKEW_MS >= notOnOrAfter) reject('assertion expired');

  const subject = onlyChild(assertion, NS.assertion, 'Subject') ?? reject('no subject');
  const confirmed = children(subject, NS.assertion, 'SubjectConfirmation').some((confirmation) => {
    if (attributeOf(confirmation, 'Method') !== BEARER) return false;
    const data = onlyChild(confirmation, NS.assertion, 'SubjectConfirmationData');
    if (!data) return false;
    const until = parseTime(attributeOf(data, 'NotOnOrAfter'));
    const from = parseTime(attributeOf(data, 'NotBefore'));
    const answers = attributeOf(data, 'InResponseTo');
    return (
      attributeOf(data, 'Recipient') === acsUrl &&
      until !== null &&
      now - CLOCK_SKEW_MS < until &&
      (from === null || now + CLOCK_SKEW_MS >= from) &&
      (answers === null || answers === expected.requestId)
    );
  });
  if (!confirmed) reject('no valid bearer subject confirmation');

  const nameIdElement = onlyChild(subject, NS.assertion, 'NameID') ?? reject('no NameID');
  const nameId = textOf(nameIdElement) ?? reject('empty NameID');
  const login = loginOf(assertion) ?? reject('no login attribute');
  const authn = children(assertion, NS.assertion, 'AuthnStatement')[0] ?? null;
  return {
    login,
    nameId,
    nameIdFormat: attributeOf(nameIdElement, 'Format'),
    nameQualifier: attributeOf(nameIdElement, 'NameQualifier'),
    spNameQualifier: attributeOf(nameIdElement, 'SPNameQualifier'),
    sessionIndex: attributeOf(authn, 'SessionIndex'),
    idpEntityId: peer.idpEntityId,
  };
}

/** The first value of the first login attribute present. */
function loginOf(assertion: Element): string | null {
  const values = new Map<string, string>();
  for (const statement of children(assertion, NS.assertion, 'AttributeStatement')) {
    for (const attribute of children(statement, NS.assertion, 'Attribute')) {
      const name = attributeOf(attribute, 'Name');
      if (name === null || values.has(name)) continue;
      const value = textOf(children(attribute, NS.assertion, 'AttributeValue')[0] ?? null);
      if (value !== null) values.set(name, value);
    }
  }
  for (const name of LOGIN_ATTRIBUTES) {
    const value = values.get(name);
    if (value !== undefined) return value;
  }
  return null;
}
