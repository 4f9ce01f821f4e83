// The ceiling of bench/token-check.bench.ts: this machine's raw uWS answering a fixed body to any
// request, with no routing, no lookup, no ACL. Prints its port on stdout.
import uWS from 'uWebSockets.js';

const body = JSON.stringify({
  data: { token: '00000000-0000-4000-8000-000000000000', acl: ['confd.users.read'] },
});
uWS
  .App()
  .any('/*', (res) => {
    res.cork(() => {
      res.writeStatus('200 OK').writeHeader('Content-Type', 'application/json').end(body);
    });
  })
  .listen('127.0.0.1', 0, (socket) => {
    console.log(`listening on http://127.0.0.1:${uWS.us_socket_local_port(socket)}/0.1`);
  });
process.on('SIGTERM', () => process.exit(0));
