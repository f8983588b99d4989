/**
 * A small LinkedIn-like provider on localhost, so the README example runs without network:
 * a token endpoint that rotates refresh tokens, and an API that answers a brand-new token
 * with 401 / serviceErrorCode 65601 while it "propagates".
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface LocalProvider {
  readonly apiUrl: string;
  readonly tokenUrl: string;
  readonly refreshToken: string;
  readonly expiredAccessToken: string;
  readonly stats: { refreshes: number; apiRequests: number };
  close(): Promise<void>;
}

export async function startLocalProvider(propagationMs = 700): Promise<LocalProvider> {
  const issued = new Map<string, number>();
  let refreshToken = 'refresh-0';
  let counter = 0;
  const stats = { refreshes: 0, apiRequests: 0 };

  const server = http.createServer((req, res) => {
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    let raw = '';
    req.on('data', (chunk: Buffer) => (raw += chunk.toString()));
    req.on('end', () => {
      if (req.url === '/oauth/v2/accessToken') {
        const form = new URLSearchParams(raw);
        if (form.get('refresh_token') !== refreshToken) return send(400, { error: 'invalid_grant' });
        stats.refreshes += 1;
        counter += 1;
        refreshToken = `refresh-${counter}`;
        const accessToken = `access-${counter}`;
        issued.set(accessToken, Date.now());
        return send(200, { access_token: accessToken, expires_in: 5_184_000, refresh_token: refreshToken });
      }
      stats.apiRequests += 1;
      const token = req.headers.authorization?.replace(/^Bearer /, '') ?? '';
      const issuedAt = issued.get(token);
      if (issuedAt === undefined) return send(401, { serviceErrorCode: 65602, code: 'EXPIRED_ACCESS_TOKEN', status: 401 });
      if (Date.now() - issuedAt < propagationMs) return send(401, { serviceErrorCode: 65601, code: 'REVOKED_ACCESS_TOKEN', status: 401 });
      return send(200, { id: 'acct-42', localizedFirstName: 'Ada' });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    apiUrl: base,
    tokenUrl: `${base}/oauth/v2/accessToken`,
    refreshToken,
    expiredAccessToken: 'an-expired-access-token',
    stats,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
