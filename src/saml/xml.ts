import { X509Certificate } from 'node:crypto';
import { DOMParser } from '@xmldom/xmldom';
import { SignedXml } from 'xml-crypto';

export const NS = {
  protocol: 'urn:oasis:names:tc:SAML:2.0:protocol',
  assertion: 'urn:oasis:names:tc:SAML:2.0:assertion',
  dsig: 'http://www.w3.org/2000/09/xmldsig#',
} as const;

const ELEMENT_NODE = 1;
const TEXT_NODE = 3;

export class InvalidXml extends Error {
  override name = 'InvalidXml';
}

/**
 * Parses `text`, refusing what xmldom only warns about (unclosed tags, unquoted attributes) and text
 * outside the root element: xmldom alone would accept much that is not well-formed XML.
 */
export function parseXml(text: string): Document {
  if (!/^\uFEFF?\s*</.test(text)) throw new InvalidXml('content before the root element');
  const problems: string[] = [];
  const report = (message: string) => {
    problems.push(message.split('\n', 1)[0]!.replace(/^\[xmldom [a-zA-Z]+\]\s*/, ''));
  };
  const doc = new DOMParser({
    errorHandler: { warning: report, error: report, fatalError: report },
  }).parseFromString(text, 'text/xml');
  if (problems.length > 0) throw new InvalidXml(problems[0]);
  if (!doc?.documentElement) throw new InvalidXml('no root element');
  for (let node = doc.firstChild; node; node = node.nextSibling) {
    if (node.nodeType === TEXT_NODE && (node.nodeValue ?? '').trim() !== '') {
      throw new InvalidXml('text outside the root element');
    }
  }
  return doc;
}

/**
 * The upload as stored: upstream re-serialises the parsed root element, which loses the XML declaration
 * (and a byte-order mark); the rest is kept byte for byte.
 */
export function withoutDeclaration(text: string): string {
  return text.replace(/^\uFEFF/, '').replace(/^\s*<\?xml[^>]*\?>\s*/, '');
}

/** The element children of `parent` named `local` in namespace `ns`. */
export function children(parent: Element | Document, ns: string, local: string): Element[] {
  const found: Element[] = [];
  for (let node: Node | null = parent.firstChild; node; node = node.nextSibling) {
    if (node.nodeType !== ELEMENT_NODE) continue;
    const element = node as Element;
    if (element.namespaceURI === ns && element.localName === local) found.push(element);
  }
  return found;
}

/** The only such child, or null when there is none or more than one. */
export function onlyChild(parent: Element | Document | null, ns: string, local: string): Element | null {
  if (!parent) return null;
  const found = children(parent, ns, local);
  return found.length === 1 ? found[0]! : null;
}

export function textOf(element: Element | null): string | null {
  if (!element) return null;
  const text = element.textContent?.trim() ?? '';
  return text === '' ? null : text;
}

/** An attribute's value, null when absent (xmldom answers '' for both absent and empty). */
export function attributeOf(element: Element | null, name: string): string | null {
  return element?.hasAttribute(name) ? element.getAttribute(name) : null;
}

/** A certificate of IdP metadata (base64 DER, maybe wrapped) as PEM, or null when it is not one. */
export function certificatePem(base64: string): string | null {
  const body = base64.replace(/-----[^-]+-----/g, '').replace(/\s+/g, '');
  const pem = `-----BEGIN CERTIFICATE-----\n${body.match(/.{1,64}/g)?.join('\n') ?? ''}\n-----END CERTIFICATE-----\n`;
  try {
    new X509Certificate(pem);
    return pem;
  } catch {
    return null;
  }
}

/**
 * Whether the Response itself carries a valid enveloped signature over its root, by one of the IdP's
 * certificates. samlify accepts a message when any of its signatures verifies, so a Response whose own
 * signature is missing or broken passes there as long as its assertion is signed; the Response must be
 * signed (saml.md §3.1), and its Destination and InResponseTo are only vouched for by that signature.
 */
export function responseSignatureValid(xml: string, doc: Document, certificates: readonly string[]): boolean {
  const root = doc.documentElement;
  if (!root || root.namespaceURI !== NS.protocol || root.localName !== 'Response') return false;
  const id = attributeOf(root, 'ID');
  const signature = onlyChild(root, NS.dsig, 'Signature');
  if (!id || !signature) return false;
  for (const publicCert of certificates) {
    const verifier = new SignedXml({ publicCert });
    try {
      verifier.loadSignature(signature);
      if (!verifier.checkSignature(xml)) continue;
    } catch {
      continue;
    }
    const references = verifier.getReferences();
    return references.length === 1 && references[0]!.uri === `#${id}`;
  }
  return false;
}
