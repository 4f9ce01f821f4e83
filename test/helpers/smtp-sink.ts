// A mail relay for the tests: smtp-server on loopback, plain SMTP without authentication (what the server
// talks to upstream's relay), keeping every message it accepts. The parsing below covers what the server
// writes (folded headers, RFC 2047 words, 7bit, quoted-printable or base64 bodies), not MIME at large.

import type { AddressInfo } from 'node:net';
import { createServer, type Server, type Socket } from 'node:net';
import { SMTPServer, type SMTPServerSession } from 'smtp-server';

export interface SinkMessage {
  /** The SMTP envelope: MAIL FROM and every RCPT TO. */
  envelope: { from: string; to: string[] };
  /** The From and To headers, unfolded, RFC 2047 words decoded. */
  from: string;
  to: string;
  subject: string;
  /** Every header, names lowercased, values unfolded but not decoded, in order. */
  headers: Array<[name: string, value: string]>;
  /** The body, transfer encoding and charset decoded, LF line ends. */
  text: string;
  /** The message as received (dot-stuffing removed), CRLF line ends. */
  raw: string;
  /** The body as received, after the blank line that ends the headers, nothing decoded. */
  rawBody: string;
}

export interface SmtpSink {
  port: number;
  /** Every accepted message, in order. */
  messages: SinkMessage[];
  /** The first message not yet returned by next(), waiting for it up to `timeoutMs`. */
  next(timeoutMs?: number): Promise<SinkMessage>;
  /** The next RCPT TO (or DATA) is answered `code` (a 5xx by default) and that mail is not kept. */
  refuseNext(code?: number, stage?: 'rcpt' | 'data'): void;
  stop(): Promise<void>;
}

type Teardown = { teardown(fn: () => unknown): void };

export async function startSmtpSink(t: Teardown): Promise<SmtpSink> {
  const messages: SinkMessage[] = [];
  let consumed = 0;
  const waiters: Array<() => void> = [];
  let refusal: { code: number; stage: 'rcpt' | 'data' } | null = null;

  const refuse = (stage: 'rcpt' | 'data', callback: (err?: Error | null) => void): boolean => {
    if (refusal?.stage !== stage) return false;
    const error = Object.assign(new Error('Refused by the test sink'), { responseCode: refusal.code });
    refusal = null;
    callback(error);
    return true;
  };

  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['AUTH', 'STARTTLS'],
    logger: false,
    closeTimeout: 100,
    onRcptTo(_address, _session, callback) {
      if (!refuse('rcpt', callback)) callback();
    },
    onData(stream, session: SMTPServerSession, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        if (refuse('data', callback)) return;
        const raw = Buffer.concat(chunks).toString('utf8');
        const from = session.envelope.mailFrom;
        messages.push(
          parseMessage(raw, {
            from: from ? from.address : '',
            to: session.envelope.rcptTo.map((r) => r.address),
          }),
        );
        for (const wake of waiters.splice(0)) wake();
        callback();
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.server.address() as AddressInfo;

  let stopped: Promise<void> | null = null;
  const stop = () => {
    stopped ??= new Promise<void>((resolve) => server.close(() => resolve()));
    return stopped;
  };
  t.teardown(stop);

  return {
    port,
    messages,
    refuseNext(code = 550, stage = 'rcpt') {
      refusal = { code, stage };
    },
    async next(timeoutMs = 5000) {
      const deadline = Date.now() + timeoutMs;
      while (consumed >= messages.length) {
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`no mail reached the SMTP sink within ${timeoutMs} ms`);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, left);
          waiters.push(() => {
            clearTimeout(timer);
            resolve();
          });
        });
      }
      return messages[consumed++]!;
    },
    stop,
  };
}

export interface SilentRelay {
  port: number;
  /** Connections accepted so far. */
  connections(): number;
  stop(): Promise<void>;
}

/** Accepts TCP connections and never says a word: a relay hung before its greeting. */
export async function startSilentRelay(t: Teardown): Promise<SilentRelay> {
  const sockets = new Set<Socket>();
  let accepted = 0;
  const server: Server = createServer((socket) => {
    accepted++;
    sockets.add(socket);
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  let stopped: Promise<void> | null = null;
  const stop = () => {
    stopped ??= new Promise<void>((resolve) => {
      for (const socket of sockets) socket.destroy();
      server.close(() => resolve());
    });
    return stopped;
  };
  t.teardown(stop);
  return { port, connections: () => accepted, stop };
}

/** Splits and decodes a message as the server writes it. Exported for the helper's own test. */
export function parseMessage(raw: string, envelope: SinkMessage['envelope']): SinkMessage {
  const split = raw.indexOf('\r\n\r\n');
  const head = split < 0 ? raw : raw.slice(0, split);
  const body = split < 0 ? '' : raw.slice(split + 4);
  const headers: SinkMessage['headers'] = head
    .replace(/\r\n(?=[ \t])/g, '')
    .split('\r\n')
    .filter((line) => line.length > 0)
    .map((line) => {
      const colon = line.indexOf(':');
      return [line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim()];
    });
  const header = (name: string) => headers.find(([key]) => key === name)?.[1] ?? '';
  const encoding = header('content-transfer-encoding').toLowerCase();
  let bytes: Buffer;
  if (encoding === 'base64') bytes = Buffer.from(body.replace(/\s+/g, ''), 'base64');
  else if (encoding === 'quoted-printable') bytes = decodeQuotedPrintable(body);
  else bytes = Buffer.from(body, 'utf8');
  return {
    envelope,
    from: decodeWords(header('from')),
    to: decodeWords(header('to')),
    subject: decodeWords(header('subject')),
    headers,
    text: bytes.toString('utf8').replace(/\r\n/g, '\n'),
    raw,
    rawBody: body,
  };
}

function decodeQuotedPrintable(text: string): Buffer {
  const unwrapped = text.replace(/=\r\n/g, '');
  const bytes: number[] = [];
  for (let i = 0; i < unwrapped.length; i++) {
    const hex = unwrapped.slice(i + 1, i + 3);
    if (unwrapped[i] === '=' && /^[0-9A-Fa-f]{2}$/.test(hex)) {
      bytes.push(Number.parseInt(hex, 16));
      i += 2;
    } else {
      bytes.push(unwrapped.charCodeAt(i) & 0xff);
    }
  }
  return Buffer.from(bytes);
}

/** RFC 2047 encoded words (UTF-8, B or Q); the white space between two adjacent words is dropped. */
function decodeWords(value: string): string {
  const word = /=\?([^?]+)\?([BbQq])\?([^?]*)\?=/g;
  const glued = value.replace(/(\?=)\s+(?==\?)/g, '$1');
  // Consecutive words may split one multi-byte character, so their bytes are joined before decoding.
  return glued.replace(/(?:=\?[^?]+\?[BbQq]\?[^?]*\?=)+/g, (run) => {
    const parts = [...run.matchAll(word)].map(([, , kind, data]) =>
      kind!.toUpperCase() === 'B'
        ? Buffer.from(data!, 'base64')
        : decodeQuotedPrintable(data!.replace(/_/g, ' ')),
    );
    return Buffer.concat(parts).toString('utf8');
  });
}
