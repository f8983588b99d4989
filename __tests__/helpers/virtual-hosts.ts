import dns from 'node:dns';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** What one host of the server received. */
export interface HostRequest {
  readonly host: string;
  readonly method: string;
  readonly path: string;
  readonly headers: http.IncomingHttpHeaders;
}

export interface HostReply {
  readonly status?: number;
  readonly body?: unknown;
  readonly headers?: Record<string, string>;
}

export type HostHandler = (request: HostRequest) => HostReply;

export interface VirtualHosts {
  readonly port: number;
  /** Every request, in order, with the host name it was addressed to (port stripped). */
  readonly requests: HostRequest[];
  /** `http://<host>:<port>` */
  origin(host: string): string;
  /** Requests addressed to `host`. */
  to(host: string): HostRequest[];
  close(): Promise<void>;
}

/**
 * One real HTTP server on one port that answers for several host names, as a shared hosting front
 * end does. Same port matters: follow-redirects decides whether a redirect is to a "subdomain" by
 * comparing `host:port`, so `evil.api.test:P` is a subdomain of `api.test:P` only on one port.
 * It listens on the IPv6 and IPv4 loopback alike, so `localhost` and `127.0.0.1` reach it too.
 */
export async function startVirtualHosts(handler: HostHandler): Promise<VirtualHosts> {
  const requests: HostRequest[] = [];
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const received: HostRequest = {
        host: (req.headers.host ?? '').replace(/:\d+$/, ''),
        method: req.method ?? 'GET',
        path: req.url ?? '/',
        headers: req.headers,
      };
      requests.push(received);
      const reply = handler(received);
      const body = reply.body === undefined ? '' : typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body);
      res.writeHead(reply.status ?? 200, { 'content-type': 'application/json', ...reply.headers });
      res.end(body);
    });
  });
  await listenOnLoopback(server);
  const { port } = server.address() as AddressInfo;
  return {
    port,
    requests,
    origin: (host) => `http://${host}:${port}`,
    to: (host) => requests.filter((r) => r.host === host),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function listenOnLoopback(server: http.Server): Promise<void> {
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      // Dual stack: IPv4-mapped connections to 127.0.0.1 arrive here too.
      server.listen({ port: 0, host: '::', ipv6Only: false }, () => resolve());
    });
  } catch {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  }
}

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | dns.LookupAddress[], family?: number) => void;

/**
 * A resolver for axios' `lookup` option: every `*.test` name is the IPv4 loopback, anything else
 * goes to the system resolver. Lets one machine play `api.test`, `evil.api.test` and `evil.test`.
 */
export function testLookup(hostname: string, options: dns.LookupOptions, callback: LookupCallback): void {
  if (!hostname.endsWith('.test')) {
    dns.lookup(hostname, options, callback as never);
    return;
  }
  if (options.all === true) callback(null, [{ address: '127.0.0.1', family: 4 }]);
  else callback(null, '127.0.0.1', 4);
}
