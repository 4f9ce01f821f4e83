// The comparison point of bench/http.bench.ts: the same answers from Node's own HTTP server, with no
// framework at all. Prints its port on stdout.
import http from 'node:http';

const backends = JSON.stringify({ data: ['wazo_user'] });
const server = http.createServer((req, res) => {
  if (req.url === '/0.1/backends' && req.method === 'GET') {
    res.writeHead(200, { 'Content-Type': 'application/json', 'Access-Control-Allow-Origin': '*' });
    res.end(backends);
  } else if (req.url === '/0.1/status' && req.method === 'HEAD') {
    res.writeHead(200, { 'Content-Type': 'application/json', 'Access-Control-Allow-Origin': '*' });
    res.end();
  } else {
    res.writeHead(404);
    res.end();
  }
});
server.listen(0, '127.0.0.1', () =>
  console.log(`listening on http://127.0.0.1:${server.address().port}/0.1`),
);
process.on('SIGTERM', () => server.close(() => process.exit(0)));
