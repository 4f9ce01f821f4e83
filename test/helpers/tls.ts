import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A throw-away RSA-2048 key and self-signed certificate (PEM files `<commonName>.key`/`.crt`), valid two
 * days, made with the machine's openssl in `dir` (a fresh temporary folder by default).
 */
export function selfSignedCertificate(
  commonName = 'localhost',
  dir = mkdtempSync(join(tmpdir(), 'wazo-auth-tls-')),
): { cert: string; key: string } {
  const cert = join(dir, `${commonName}.crt`);
  const key = join(dir, `${commonName}.key`);
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      key,
      '-out',
      cert,
      '-days',
      '2',
      '-subj',
      `/CN=${commonName}`,
    ],
    { stdio: 'ignore' },
  );
  return { cert, key };
}
