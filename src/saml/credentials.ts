import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Config } from '../config/index.js';
import type { Logger } from '../log/logger.js';

/** The SP's signing key pair (`saml.key_file`, `saml.cert_file`), PEM. */
export interface SpCredentials {
  privateKey: string;
  certificate: string;
}

/**
 * Reads the SP key pair once, at start. Missing or unreadable files leave SAML login unavailable (every
 * SSO answers the 500 `configuration-error`) instead of stopping the server: upstream's default paths only
 * exist once its Debian package generated the pair.
 */
export function loadCredentials(config: Config['saml'], log: Logger): SpCredentials | null {
  try {
    const privateKey = readFileSync(config.key_file, 'utf8');
    const certificate = readFileSync(config.cert_file, 'utf8');
    createPrivateKey(privateKey);
    new X509Certificate(certificate);
    return { privateKey, certificate };
  } catch (error) {
    log.warn(
      { keyFile: config.key_file, certFile: config.cert_file, reason: (error as Error).message },
      'SAML login unavailable: the SP key or certificate (saml.key_file, saml.cert_file) cannot be read',
    );
    return null;
  }
}
