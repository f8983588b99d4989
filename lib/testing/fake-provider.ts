import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { presentedToken, problemWith, reply, styleOf } from './api-styles';
import { TokenFamilies } from './token-family';

export type TokenEndpointFault = 'none' | 'server-error' | 'timeout' | 'malformed' | 'invalid_grant';

/** A scripted answer of the protected API: `pass` = the normal answer for the token presented. */
export type ApiScriptStep = 'pass' | 'reject' | 'propagating' | 'server-error';

/** What the provider does; change it at any time with `setBehaviour`. */
export interface FakeProviderBehaviour {
  /** Lifetime of issued access tokens, seconds. @default 3600 */
  accessTokenTtlSeconds: number;
  /** A new access token is answered "not propagated yet" (LinkedIn 65601) for this long. @default 0 */
  propagationMs: number;
  /** Delay before the token endpoint answers. @default 0 */
  tokenLatencyMs: number;
  /** Rotate refresh tokens (and revoke the family on reuse). @default true */
  rotateRefreshTokens: boolean;
  /** Make the token endpoint fail: 503, never answer, a non-JSON 200, or `invalid_grant`. @default 'none' */
  tokenFault: TokenEndpointFault;
  /** How many token requests the fault applies to before the endpoint heals. @default Infinity */
  tokenFaultCount: number;
  /** Answers for the next protected-API requests, one consumed per request, whatever the token; then normal answers. @default [] */
  apiScript: ApiScriptStep[];
  /** With `tokenFault: 'server-error'`, a `Retry-After` header (seconds) on the 503. @default none */
  retryAfterSeconds: number | undefined;
  /**
   * Fields laid over the next successful refresh answers, one set consumed per answer (the refresh
   * token still rotates): a provider's quirks, such as `{ expires_in: 0 }` or `{ token_type: 'Bearer ' }`. @default []
   */
  answerQuirks: Array<Readonly<Record<string, unknown>>>;
}

export interface FakeProviderStats {
  /** Successful refresh_token grants. */
  refreshes: number;
  /** Successful client_credentials grants. */
  clientCredentialsGrants: number;
  /** Spent refresh tokens presented again (each revoked a whole family). */
  reuseDetections: number;
  /** The most token requests the endpoint was answering at the same moment (a client's refresh concurrency). */
  peakConcurrentTokenRequests: number;
  /** Every token request, with its non-secret form fields (grant_type, scope, your extraParams…). */
  tokenRequests: Array<Record<string, string>>;
  /** Protected-endpoint answers by HTTP status. */
  apiRequestsByStatus: Record<number, number>;
  /** Protected-endpoint requests by outcome: ok, invalid, expired, propagating. */
  apiRequestsByOutcome: Record<string, number>;
}

export interface FakeProvider {
  /**
   * Base URL of the protected API: `/linkedin/…`, `/slack/…`, `/shopify/…` (token in
   * `X-Shopify-Access-Token`, no scheme) or any other path (plain 401 + RFC 6750).
   */
  readonly url: string;
  /** `POST` here: `grant_type=refresh_token` or `client_credentials`. */
  readonly tokenUrl: string;
  readonly stats: FakeProviderStats;
  setBehaviour(change: Partial<FakeProviderBehaviour>): void;
  /**
   * Starts a grant, as an authorization-code exchange would; seed the plugin with it
   * (`handle.setToken`). `responseFields` (Salesforce's `instance_url`, an `id_token`…) come back in
   * the seed's `extra` and in every token response of this grant.
   */
  authorize<Fields extends Readonly<Record<string, unknown>> = Readonly<Record<string, never>>>(
    responseFields?: Fields,
  ): {
    accessToken: string;
    refreshToken: string;
    expiresIn: number;
    extra: Fields;
  };
  /** Revokes every access token (the API answers 401 until a refresh). */
  revokeAccessTokens(): void;
  /**
   * Revokes the whole grant a refresh token (live or spent) belongs to, as a provider does when the
   * user disconnects the app or re-connects it; `false` when the token is unknown.
   */
  revokeGrant(refreshToken: string): boolean;
  close(): Promise<void>;
}

const SECRET_FIELDS = new Set(['refresh_token', 'client_secret', 'code', 'code_verifier', 'assertion']);

/**
 * A real OAuth 2.0 provider on a loopback port, for integration tests and demos: issues tokens,
 * rotates refresh tokens and revokes the family on reuse (as Auth0 / Okta do), injects
 * token-endpoint faults, and serves protected endpoints in the style of LinkedIn, Slack or plain RFC 6750.
 */
export async function startFakeProvider(initial: Partial<FakeProviderBehaviour> = {}): Promise<FakeProvider> {
  const behaviour: FakeProviderBehaviour = {
    accessTokenTtlSeconds: 3600,
    propagationMs: 0,
    tokenLatencyMs: 0,
    rotateRefreshTokens: true,
    tokenFault: 'none',
    tokenFaultCount: Number.POSITIVE_INFINITY,
    retryAfterSeconds: undefined,
    ...initial,
    apiScript: [...(initial.apiScript ?? [])],
    answerQuirks: [...(initial.answerQuirks ?? [])],
  };
  const stats: FakeProviderStats = {
    refreshes: 0,
    clientCredentialsGrants: 0,
    reuseDetections: 0,
    peakConcurrentTokenRequests: 0,
    tokenRequests: [],
    apiRequestsByStatus: {},
    apiRequestsByOutcome: {},
  };
  const families = new TokenFamilies(() => behaviour.rotateRefreshTokens);
  const pendingTimers = new Set<NodeJS.Timeout>();
  let tokenRequestsInFlight = 0;

  const send = (res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void => {
    if (res.destroyed) return;
    res.writeHead(status, {
      'content-type': typeof body === 'string' ? 'text/plain' : 'application/json',
      'cache-control': 'no-store',
      ...headers,
    });
    res.end(typeof body === 'string' ? body : JSON.stringify(body));
  };

  const answerTokenRequest = (form: URLSearchParams, res: http.ServerResponse) => {
    if (behaviour.tokenFault !== 'none' && behaviour.tokenFaultCount > 0) {
      behaviour.tokenFaultCount -= 1;
      switch (behaviour.tokenFault) {
        case 'timeout':
          return; // never answered (closed with the server)
        case 'server-error':
          return send(
            res,
            503,
            { error: 'temporarily_unavailable' },
            behaviour.retryAfterSeconds === undefined ? {} : { 'retry-after': String(behaviour.retryAfterSeconds) },
          );
        case 'malformed':
          return send(res, 200, '<html><body>Gateway says hello</body></html>');
        case 'invalid_grant':
          return send(res, 400, { error: 'invalid_grant', error_description: 'The refresh token is invalid or expired' });
      }
    }
    const ttl = behaviour.accessTokenTtlSeconds;
    const grantType = form.get('grant_type');
    if (grantType === 'client_credentials') {
      stats.clientCredentialsGrants += 1;
      return send(res, 200, { access_token: families.clientCredentials(ttl), token_type: 'Bearer', expires_in: ttl });
    }
    if (grantType !== 'refresh_token') return send(res, 400, { error: 'unsupported_grant_type' });
    const outcome = families.refresh(form.get('refresh_token') ?? '', ttl);
    if (outcome === 'reused') {
      stats.reuseDetections += 1;
      return send(res, 400, { error: 'invalid_grant', error_description: 'Refresh token reuse detected: the token family was revoked' });
    }
    if (outcome === 'unknown') return send(res, 400, { error: 'invalid_grant', error_description: 'Unknown refresh token' });
    stats.refreshes += 1;
    return send(res, 200, {
      ...outcome.responseFields,
      access_token: outcome.accessToken,
      refresh_token: outcome.refreshToken,
      token_type: 'Bearer',
      expires_in: ttl,
      ...behaviour.answerQuirks.shift(),
    });
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const path = (req.url ?? '/').split('?')[0] as string;
      if (path === '/oauth/token' && req.method === 'POST') {
        tokenRequestsInFlight += 1;
        stats.peakConcurrentTokenRequests = Math.max(stats.peakConcurrentTokenRequests, tokenRequestsInFlight);
        res.once('close', () => (tokenRequestsInFlight -= 1));
        const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
        stats.tokenRequests.push(Object.fromEntries([...form].filter(([name]) => !SECRET_FIELDS.has(name))));
        if (behaviour.tokenLatencyMs <= 0) return answerTokenRequest(form, res);
        const timer = setTimeout(() => {
          pendingTimers.delete(timer);
          answerTokenRequest(form, res);
        }, behaviour.tokenLatencyMs);
        pendingTimers.add(timer);
        return;
      }
      const style = styleOf(path);
      const presented = presentedToken(style, req.headers);
      const scripted = behaviour.apiScript.shift();
      if (scripted === 'server-error') {
        stats.apiRequestsByStatus[503] = (stats.apiRequestsByStatus[503] ?? 0) + 1;
        return send(res, 503, { error: 'temporarily_unavailable' });
      }
      const problem =
        scripted === 'reject'
          ? 'invalid'
          : scripted === 'propagating'
            ? 'propagating'
            : problemWith(presented === undefined ? undefined : families.accessToken(presented), Date.now(), behaviour.propagationMs);
      const answer = reply(style, problem, path);
      stats.apiRequestsByStatus[answer.status] = (stats.apiRequestsByStatus[answer.status] ?? 0) + 1;
      const outcome = problem ?? 'ok';
      stats.apiRequestsByOutcome[outcome] = (stats.apiRequestsByOutcome[outcome] ?? 0) + 1;
      send(res, answer.status, answer.body, answer.headers);
    });
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url,
    tokenUrl: `${url}/oauth/token`,
    stats,
    setBehaviour(change) {
      Object.assign(behaviour, change, change.apiScript === undefined ? {} : { apiScript: [...change.apiScript] });
      if (change.answerQuirks !== undefined) behaviour.answerQuirks = [...change.answerQuirks];
      if (change.tokenFault !== undefined && change.tokenFaultCount === undefined) behaviour.tokenFaultCount = Number.POSITIVE_INFINITY;
    },
    authorize<Fields extends Readonly<Record<string, unknown>>>(responseFields?: Fields) {
      const extra = (responseFields ?? {}) as Fields;
      return { ...families.start(behaviour.accessTokenTtlSeconds, extra), expiresIn: behaviour.accessTokenTtlSeconds, extra };
    },
    revokeAccessTokens: () => families.revokeAllAccessTokens(),
    revokeGrant: (refreshToken) => families.revokeGrant(refreshToken),
    close: () =>
      new Promise<void>((resolve) => {
        for (const timer of pendingTimers) clearTimeout(timer);
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
