// A keep-alive HTTP server in its own process (its own core), so the client's cost is what is measured.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

const body = JSON.stringify({ ok: true });
/** With REJECT set, that exact Authorization value is answered 401 (a revoked token) — only under REJECT_PATH, when set. */
const rejected = process.env['REJECT'];
const rejectedPath = process.env['REJECT_PATH'] ?? '/';

/**
 * Told by a bench: hold the answers to the next `count` accepted requests under REJECT_PATH (as a
 * remote API, whose answers come tens of milliseconds later, would), say when all have arrived, and
 * answer them when told.
 */
export type EchoMessage = { kind: 'hold'; count: number } | { kind: 'answer' };
export interface EchoArrived {
  arrived: number;
}

let holding: { count: number; answers: (() => void)[] } | undefined;

const server = http.createServer((req, res) => {
  if (rejected !== undefined && req.headers.authorization === rejected && req.url?.startsWith(rejectedPath)) {
    res.writeHead(401, { 'content-length': 0 });
    res.end();
    return;
  }
  const answer = (): void => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  };
  if (holding === undefined || !req.url?.startsWith(rejectedPath)) {
    answer();
    return;
  }
  holding.answers.push(answer);
  if (holding.answers.length === holding.count) process.send?.({ arrived: holding.count } satisfies EchoArrived);
});
process.on('message', (message: EchoMessage) => {
  if (message.kind === 'hold') {
    holding = { count: message.count, answers: [] };
    return;
  }
  const answers = holding?.answers ?? [];
  holding = undefined;
  for (const answer of answers) answer();
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => process.send?.({ port: (server.address() as AddressInfo).port }));
process.on('disconnect', () => process.exit(0));
