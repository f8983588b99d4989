// A keep-alive HTTP server in its own process (its own core), so the client's cost is what is measured.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

const body = JSON.stringify({ ok: true });
/** With REJECT set, that exact Authorization value is answered 401 (a revoked token) — only under REJECT_PATH, when set. */
const rejected = process.env['REJECT'];
const rejectedPath = process.env['REJECT_PATH'] ?? '/';
const server = http.createServer((req, res) => {
  if (rejected !== undefined && req.headers.authorization === rejected && req.url?.startsWith(rejectedPath)) {
    res.writeHead(401, { 'content-length': 0 });
    res.end();
    return;
  }
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => process.send?.({ port: (server.address() as AddressInfo).port }));
process.on('disconnect', () => process.exit(0));
