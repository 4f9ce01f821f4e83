import http from 'node:http';
import https from 'node:https';
import { recordExchangeSecrets } from './leak-watch.js';

export interface ClientResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
  json<T = unknown>(): T;
}

export interface ClientRequest {
  method?: string;
  path: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
}

/**
 * A plain HTTP(S) client for tests: no keep-alive (so a closed server leaves no idle socket behind) and
 * full control over method, headers and raw body bytes.
 */
export function request(base: string, req: ClientRequest): Promise<ClientResponse> {
  const url = new URL(req.path, base);
  const transport = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const outgoing = transport.request(
      url,
      {
        method: req.method ?? 'GET',
        headers: { connection: 'close', ...req.headers },
        agent: false,
        rejectUnauthorized: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          recordExchangeSecrets(
            req.method ?? 'GET',
            req.path,
            req.headers ?? {},
            req.body,
            res.statusCode ?? 0,
            text,
          );
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json: () => JSON.parse(text) });
        });
        res.on('error', reject);
      },
    );
    outgoing.on('error', reject);
    outgoing.end(req.body);
  });
}
