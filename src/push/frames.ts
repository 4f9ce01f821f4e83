// The wazo-websocketd wire format (websocket.md §3–4): close codes, client operations, server frames.

/** A close code with upstream's reason text. */
export interface Close {
  code: number;
  reason: string;
}

export const CLOSE = {
  noToken: { code: 4001, reason: 'no token' },
  authenticationFailed: { code: 4002, reason: 'authentication failed' },
  authenticationExpired: { code: 4003, reason: 'authentication expired' },
  protocolError: { code: 4004, reason: '' },
  messageTooBig: { code: 1009, reason: '' },
  unexpected: { code: 1011, reason: '' },
  shuttingDown: { code: 1001, reason: '' },
} as const satisfies Record<string, Close>;

export type ProtocolVersion = 1 | 2;

/** An operation a client may send (websocket.md §4.2), validated. */
export type ClientOp =
  | { op: 'subscribe'; eventName: string }
  | { op: 'start' }
  | { op: 'token'; token: string }
  | { op: 'ping'; payload: string };

type JsonObject = { [key: string]: unknown };

const isObject = (value: unknown): value is JsonObject =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** The string field `key` of the op's `data` object, or null when either is missing or ill-typed. */
function dataString(message: JsonObject, key: string): string | null {
  const data = message.data;
  if (!isObject(data)) return null;
  const value = data[key];
  return typeof value === 'string' ? value : null;
}

/**
 * A text frame as an operation; null for anything that must close the connection with 4004: invalid
 * JSON, a root that is not an object, a missing or non-string `op`, an unknown op, or `data` missing or
 * ill-typed for an op that needs it. Other fields are ignored.
 */
export function parseOp(text: string): ClientOp | null {
  let message: unknown;
  try {
    message = JSON.parse(text);
  } catch {
    return null;
  }
  if (!isObject(message) || typeof message.op !== 'string') return null;
  switch (message.op) {
    case 'start':
      return { op: 'start' };
    case 'subscribe': {
      const eventName = dataString(message, 'event_name');
      return eventName === null ? null : { op: 'subscribe', eventName };
    }
    case 'token': {
      const token = dataString(message, 'token');
      return token === null ? null : { op: 'token', token };
    }
    case 'ping': {
      const payload = dataString(message, 'payload');
      return payload === null ? null : { op: 'ping', payload };
    }
    default:
      return null;
  }
}

/** Server frames: `op`, `code` (always 0), `data`, in upstream's key order. */
export const frames = {
  init: (version: ProtocolVersion) => `{"op":"init","code":0,"data":{"version":${version}}}`,
  reply: (op: 'subscribe' | 'start' | 'token') => `{"op":"${op}","code":0,"data":null}`,
  pong: (payload: string) => JSON.stringify({ op: 'pong', code: 0, data: { payload } }),
  /** v2 wraps the event body; v1 sends the body text exactly as published. */
  event: (version: ProtocolVersion, body: string) =>
    version === 2 ? `{"op":"event","code":0,"data":${body}}` : body,
};
