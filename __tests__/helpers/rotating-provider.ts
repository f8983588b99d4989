import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RotatingProviderStats {
  /** Successful refresh_token grants. */
  refreshes: number;
  /** Second uses of a rotated refresh token (each one revokes the family). */
  reuseDetections: number;
  /** Token requests received, with the `worker` form field each carried. */
  tokenRequests: string[];
  apiByStatus: Record<number, number>;
}

export interface RotatingProvider {
  readonly url: string;
  readonly tokenUrl: string;
  readonly stats: RotatingProviderStats;
  /** Seeds a family: returns an access token the API rejects (expired) and the live refresh token. */
  seed(): { expiredAccessToken: string; refreshToken: string };
  /** Leaves the next `n` token requests unanswered (a hung token endpoint), without consuming anything. */
  stallTokenRequests(n: number): void;
  revokeAccessTokens(): void;
  close(): Promise<void>;
}

/**
 * Auth0 / Okta-style rotation: each refresh token works once; presenting a rotated one again is
 * treated as theft and revokes the whole family (every access and refresh token).
 */
export async function startRotatingProvider(options: { latencyMs?: number } = {}): Promise<RotatingProvider> {
  const stats: RotatingProviderStats = { refreshes: 0, reuseDetections: 0, tokenRequests: [], apiByStatus: {} };
  let liveRefresh: string | undefined;
  const spentRefresh = new Set<string>();
  const validAccess = new Set<string>();
  let counter = 0;
  let stalls = 0;

  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      const send = (status: number, payload: unknown): void => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(payload));
      };
      if (req.url === '/oauth/token') {
        const form = new URLSearchParams(body);
        stats.tokenRequests.push(form.get('worker') ?? '');
        if (stalls > 0) {
          stalls -= 1;
          return; // never answered
        }
        const presented = form.get('refresh_token') ?? '';
        const answer = (): void => {
          if (presented !== '' && presented === liveRefresh) {
            spentRefresh.add(presented);
            counter += 1;
            liveRefresh = `refresh-${counter}`;
            const accessToken = `access-${counter}`;
            validAccess.add(accessToken);
            stats.refreshes += 1;
            return send(200, { access_token: accessToken, refresh_token: liveRefresh, expires_in: 3600, token_type: 'Bearer' });
          }
          if (spentRefresh.has(presented)) {
            stats.reuseDetections += 1;
            liveRefresh = undefined;
            validAccess.clear();
          }
          return send(400, { error: 'invalid_grant', error_description: 'Unknown or reused refresh token' });
        };
        if (options.latencyMs === undefined) answer();
        else setTimeout(answer, options.latencyMs);
        return;
      }
      const token = req.headers.authorization?.replace(/^Bearer /, '') ?? '';
      const status = validAccess.has(token) ? 200 : 401;
      stats.apiByStatus[status] = (stats.apiByStatus[status] ?? 0) + 1;
      send(status, status === 200 ? { ok: true } : { error: 'invalid_token' });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    tokenUrl: `${url}/oauth/token`,
    stats,
    seed() {
      liveRefresh = 'refresh-0';
      return { expiredAccessToken: 'access-expired', refreshToken: liveRefresh };
    },
    stallTokenRequests(n) {
      stalls = n;
    },
    revokeAccessTokens() {
      validAccess.clear();
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
