import { type AddressInfo, createServer, type Socket } from 'node:net';
import t from 'tap';
import { createMailer, MailNotSent } from '../../src/mail/index.js';
import { freePort } from '../../src/net/free-port.js';
import { startSilentRelay, startSmtpSink } from '../helpers/smtp-sink.js';
import {
  capturedLogger,
  confirmation,
  isolatedDirs,
  mailConfig,
  RESET_TOKEN,
  reset,
  TOKEN,
} from './context.js';

/** Runs `send`, expecting MailNotSent; resolves with the error and how long it took. */
async function failure(send: () => Promise<void>): Promise<{ error: MailNotSent; ms: number }> {
  const started = performance.now();
  try {
    await send();
  } catch (error) {
    if (!(error instanceof MailNotSent)) throw error;
    return { error, ms: performance.now() - started };
  }
  throw new Error('the mail was sent');
}

/** Nothing of the mail's secrets nor its text in a message or the logs. */
function checkNoSecrets(t: { notMatch(text: string, pattern: string | RegExp): unknown }, text: string) {
  t.notMatch(text, TOKEN);
  t.notMatch(text, RESET_TOKEN);
  t.notMatch(text, /reset-password|confirm\?token|Hello/);
}

t.test('the relay is down: MailNotSent at once, naming the relay', async (t) => {
  const port = await freePort();
  const { logger, sink: logs } = capturedLogger();
  const mailer = createMailer(mailConfig(port), logger, { templateDirs: isolatedDirs() });
  const { error, ms } = await failure(() => mailer.sendConfirmation(confirmation()));
  t.match(error.message, `127.0.0.1:${port}`);
  t.match(error.message, /ECONNREFUSED/);
  t.ok(ms < 4000, `refused within the timeout (${Math.round(ms)} ms)`);
  const reset2 = await failure(() => mailer.sendPasswordReset(reset()));
  t.match(reset2.error.message, /^password reset mail not sent through the SMTP relay 127\.0\.0\.1:\d+: /);
  checkNoSecrets(t, `${error.message}\n${reset2.error.message}\n${logs.lines.join('\n')}`);
  t.ok(
    logs.lines.some((line) => line.includes(`127.0.0.1:${port}`)),
    'the failure is logged',
  );
});

t.test('the relay refuses the recipient or the message: MailNotSent with its code', async (t) => {
  const sink = await startSmtpSink(t);
  const { logger, sink: logs } = capturedLogger();
  const mailer = createMailer(mailConfig(sink.port), logger, { templateDirs: isolatedDirs() });

  sink.refuseNext(550);
  const rcpt = await failure(() => mailer.sendConfirmation(confirmation()));
  t.match(rcpt.error.message, `the SMTP relay 127.0.0.1:${sink.port}: the relay answered 550 to RCPT TO`);
  t.ok(rcpt.ms < 4000);

  sink.refuseNext(554, 'data');
  const data = await failure(() => mailer.sendPasswordReset(reset()));
  t.match(data.error.message, /the relay answered 554 to DATA/);
  t.equal(sink.messages.length, 0, 'nothing kept');

  await mailer.sendPasswordReset(reset());
  t.equal((await sink.next()).envelope.to[0], 'bob@example.com', 'the next mail goes through');
  checkNoSecrets(t, `${rcpt.error.message}\n${data.error.message}\n${logs.lines.join('\n')}`);
});

t.test('a relay that never answers: MailNotSent after smtp.timeout', async (t) => {
  const relay = await startSilentRelay(t);
  const { logger, sink: logs } = capturedLogger();
  const mailer = createMailer(mailConfig(relay.port, { smtp: { timeout: 0.5 } }), logger, {
    templateDirs: isolatedDirs(),
  });
  const { error, ms } = await failure(() => mailer.sendConfirmation(confirmation()));
  t.equal(relay.connections(), 1, 'the connection was made');
  t.match(error.message, `127.0.0.1:${relay.port}: timed out waiting for an answer (0.5 s)`);
  t.ok(ms >= 450 && ms < 2000, `gave up after the timeout (${Math.round(ms)} ms)`);
  checkNoSecrets(t, `${error.message}\n${logs.lines.join('\n')}`);
});

t.test('a relay answering byte by byte is cut off after twice smtp.timeout', async (t) => {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    // After the greeting, never a whole line, but never idle long enough for the per-step timers.
    socket.write('220 slow.example ESMTP\r\n');
    let drip: NodeJS.Timeout | undefined;
    socket.once('data', () => {
      drip = setInterval(() => socket.write('2'), 100);
    });
    socket.on('close', () => clearInterval(drip));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => {
    for (const socket of sockets) socket.destroy();
    server.close();
  });
  const { port } = server.address() as AddressInfo;
  const mailer = createMailer(mailConfig(port, { smtp: { timeout: 0.4 } }), capturedLogger().logger, {
    templateDirs: isolatedDirs(),
  });
  const { error, ms } = await failure(() => mailer.sendPasswordReset(reset()));
  t.match(error.message, `127.0.0.1:${port}: not done within 0.8 s`);
  t.ok(ms >= 750 && ms < 2000, `gave up after twice the timeout (${Math.round(ms)} ms)`);
});

t.test('the default timeout is 4 s', async (t) => {
  t.equal(mailConfig(25).smtp.timeout, 4);
});
