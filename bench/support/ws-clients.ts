// One load-generator process of bench/websocket.bench.ts: holds its share of the WebSocket clients
// (one process cannot open more sockets than its open-files limit) and records, on its own clock, when
// each client got its expire-soon warning and its close. Driven by the parent over IPC.
import WebSocket from 'ws';

export interface ClientSpec {
  token: string;
  sessionUuid: string;
  localAddress: string;
}

export type ToWorker =
  | { type: 'connect'; url: string; clients: ClientSpec[]; inFlight: number; timeoutMs: number }
  | { type: 'collect' };

/** What became of one client: epoch milliseconds, 0 when it did not happen. */
export interface ClientOutcome {
  readyAt: number;
  warnedAt: number;
  closedAt: number;
  closeCode: number;
  /** Events other than this client's own warning: the ACL should have filtered them out. */
  foreign: number;
}

export type FromWorker =
  | { type: 'connected'; ready: number; failures: Record<string, number> }
  | { type: 'all-closed' }
  | { type: 'results'; outcomes: ClientOutcome[] };

const send = (message: FromWorker) => process.send!(message);

const SUBSCRIBE = JSON.stringify({ op: 'subscribe', data: { event_name: 'auth_session_expire_soon' } });
const START = JSON.stringify({ op: 'start' });

interface Frame {
  op?: string;
  data?: { name?: string; data?: { uuid?: string } };
}

/**
 * Connects, sends `subscribe` and `start` after `init`, resolves once `start` is answered (the client
 * is ready) or with the reason it never was. Afterwards it keeps recording into `outcome`.
 */
function connect(
  url: string,
  spec: ClientSpec,
  outcome: ClientOutcome,
  timeoutMs: number,
  onClosed: () => void,
) {
  return new Promise<string | null>((resolve) => {
    const ws = new WebSocket(`${url}?token=${spec.token}&version=2`, {
      localAddress: spec.localAddress,
      perMessageDeflate: false,
      handshakeTimeout: timeoutMs,
    });
    const timer = setTimeout(() => {
      resolve('not ready in time');
      ws.terminate();
    }, timeoutMs);
    ws.on('message', (raw) => {
      const frame = JSON.parse(raw.toString()) as Frame;
      switch (frame.op) {
        case 'init':
          ws.send(SUBSCRIBE);
          ws.send(START);
          return;
        case 'start':
          outcome.readyAt = Date.now();
          clearTimeout(timer);
          resolve(null);
          return;
        case 'event':
          if (frame.data?.name === 'auth_session_expire_soon' && frame.data.data?.uuid === spec.sessionUuid)
            outcome.warnedAt ||= Date.now();
          else outcome.foreign++;
      }
    });
    ws.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
    ws.on('close', (code) => {
      outcome.closedAt = Date.now();
      outcome.closeCode = code;
      clearTimeout(timer);
      resolve(`closed ${code} before ready`);
      onClosed();
    });
  });
}

async function connectAll(message: Extract<ToWorker, { type: 'connect' }>): Promise<ClientOutcome[]> {
  const outcomes = message.clients.map(() => ({
    readyAt: 0,
    warnedAt: 0,
    closedAt: 0,
    closeCode: 0,
    foreign: 0,
  }));
  const failures: Record<string, number> = {};
  let ready = 0;
  let open = message.clients.length;
  const onClosed = () => {
    if (--open === 0) send({ type: 'all-closed' });
  };
  // A bounded number of handshakes at a time: all at once would only queue them in the kernel's
  // backlog and time them out.
  let next = 0;
  const lane = async () => {
    while (next < message.clients.length) {
      const index = next++;
      const failure = await connect(
        message.url,
        message.clients[index]!,
        outcomes[index]!,
        message.timeoutMs,
        onClosed,
      );
      if (failure === null) ready++;
      else failures[failure] = (failures[failure] ?? 0) + 1;
    }
  };
  await Promise.all(Array.from({ length: message.inFlight }, lane));
  send({ type: 'connected', ready, failures });
  return outcomes;
}

let outcomes: Promise<ClientOutcome[]> | undefined;
process.on('message', async (message: ToWorker) => {
  if (message.type === 'connect') outcomes = connectAll(message);
  else send({ type: 'results', outcomes: await outcomes! });
});
// The parent going away (crash, ^C) must not leave thousands of sockets behind.
process.on('disconnect', () => process.exit(0));
