import { connect } from 'node:net';

/** What came back on one connection: an answer, or the server closing (or stalling) without one. */
export type RawOutcome =
  | { kind: 'answer'; status: number; headers: Record<string, string[]>; body: Buffer }
  | { kind: 'closed' }
  | { kind: 'timeout' }
  | { kind: 'error'; message: string };

/**
 * Sends bytes as they are on a fresh connection: the requests of a fuzzer are often not valid HTTP
 * (duplicated or missing headers, raw invalid UTF-8 in the target, lengths that lie), which no HTTP
 * client library writes.
 */
export function sendRaw(
  port: number,
  bytes: Buffer,
  { halfClose = false, timeoutMs = 15_000 } = {},
): Promise<RawOutcome> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    const chunks: Buffer[] = [];
    let settled = false;
    const finish = (outcome: RawOutcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(outcome);
    };
    const timer = setTimeout(
      () => finish(parseAnswer(Buffer.concat(chunks)) ?? { kind: 'timeout' }),
      timeoutMs,
    );
    socket.on('connect', () => {
      socket.write(bytes);
      if (halfClose) socket.end();
    });
    socket.on('data', (chunk) => {
      chunks.push(chunk);
      const answer = parseAnswer(Buffer.concat(chunks), true);
      if (answer) finish(answer);
    });
    socket.on('error', (error) => {
      const answer = parseAnswer(Buffer.concat(chunks));
      finish(answer ?? { kind: 'error', message: error.message });
    });
    socket.on('close', () => finish(parseAnswer(Buffer.concat(chunks)) ?? { kind: 'closed' }));
  });
}

/**
 * The first response in `data`; with `complete`, only once its whole body arrived (Content-Length or
 * chunked), so that a connection kept open does not hold the caller.
 */
function parseAnswer(data: Buffer, complete = false): RawOutcome | null {
  const end = data.indexOf('\r\n\r\n');
  if (end < 0) return null;
  const lines = data.subarray(0, end).toString('latin1').split('\r\n');
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? '')?.[1]);
  if (!status) return null;
  const headers: Record<string, string[]> = {};
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    const name = line.slice(0, colon).trim().toLowerCase();
    headers[name] = [...(headers[name] ?? []), line.slice(colon + 1).trim()];
  }
  let body = data.subarray(end + 4);
  const length = headers['content-length']?.[0];
  if (length !== undefined) {
    if (body.length < Number(length)) return complete ? null : { kind: 'answer', status, headers, body };
    body = body.subarray(0, Number(length));
  } else if (headers['transfer-encoding']?.[0]?.toLowerCase() === 'chunked') {
    const decoded = dechunk(body);
    if (!decoded) return complete ? null : { kind: 'answer', status, headers, body };
    body = decoded;
  } else if (complete) {
    // Neither: the body ends with the connection (or there is none, for 1xx/204/304).
    if (status === 204 || status === 304) return { kind: 'answer', status, headers, body: Buffer.alloc(0) };
    return null;
  }
  return { kind: 'answer', status, headers, body };
}

function dechunk(data: Buffer): Buffer | null {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const lineEnd = data.indexOf('\r\n', at);
    if (lineEnd < 0) return null;
    const size = Number.parseInt(data.subarray(at, lineEnd).toString('latin1'), 16);
    if (Number.isNaN(size)) return null;
    if (size === 0) return Buffer.concat(parts);
    if (data.length < lineEnd + 2 + size + 2) return null;
    parts.push(data.subarray(lineEnd + 2, lineEnd + 2 + size));
    at = lineEnd + 2 + size + 2;
  }
}
