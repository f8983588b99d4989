import { inspect } from 'node:util';
import axios from 'axios';
import { attachTokenRefresh, oauth2, RefreshFailedError, ReplayLimitError } from '../../lib';
import { startApi } from '../helpers/api-server';
import { closeAll, harness, seedAccepted } from '../helpers/setup';

afterEach(closeAll);

/** Everything a logger could print of an error. */
function everyRendering(error: unknown): string {
  const e = error as Error;
  return [
    JSON.stringify(error),
    inspect(error, { depth: 8 }),
    e.message,
    String(e.stack),
    JSON.stringify(e.cause ?? null),
    inspect(e.cause, { depth: 8 }),
  ].join('\n');
}

describe('tokens never leak through errors', () => {
  it('redacts the token from an AxiosError for a non-auth failure (config, request._header, kOutHeaders, response)', async () => {
    const h = await harness();
    const token = await seedAccepted(h);
    h.api.handle(() => ({ status: 500, body: { error: 'boom' } }));

    const error = await h.client.get('/x').catch((e: unknown) => e);

    expect(axios.isAxiosError(error)).toBe(true);
    expect(h.api.requests[0]?.authorization).toBe(`Bearer ${token}`); // it was sent…
    const text = everyRendering(error);
    expect(text).not.toContain(token); // …but does not leak
    expect(text).toContain('[REDACTED]');
    // Code that reaches for the request on purpose still finds it, scrubbed.
    const request = (error as { request?: { _header?: string } }).request;
    expect(request?._header).toMatch(/Authorization: \[REDACTED\]/i);
    // Node's own header map on the request (what getHeader() and inspect(showHidden) read) too.
    const outHeaders = Object.getOwnPropertySymbols(request ?? {}).find((symbol) => symbol.description === 'kOutHeaders');
    const headerMap = outHeaders === undefined ? undefined : (request as Record<symbol, Record<string, [string, string]>>)[outHeaders];
    expect(headerMap?.['authorization']).toEqual(['Authorization', '[REDACTED]']);
  });

  it('redacts the cause of ReplayLimitError', async () => {
    const h = await harness({ maxReplays: 1 });
    h.api.handle(() => ({ status: 401 }));
    await seedAccepted(h);

    const error = await h.client.get('/x').catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ReplayLimitError);
    for (const token of h.authority.accepted) expect(everyRendering(error)).not.toContain(token);
    expect(axios.isAxiosError((error as Error).cause)).toBe(true);
  });

  it('keeps the refresh token, client secret and Basic credentials out of a token-endpoint failure', async () => {
    const api = await startApi();
    const client = axios.create({ baseURL: api.url });
    const handle = attachTokenRefresh(client, {
      // Nothing listens on port 9 here: a network error whose cause carries the request.
      refresh: oauth2.refreshTokenGrant({
        tokenUrl: 'http://127.0.0.1:9/oauth/token',
        clientId: 'client-id',
        clientSecret: 'super-secret-value',
      }),
    });
    try {
      // Valid when stored (setToken refuses a past expiresAt, and a loaded machine may take a few ms
      // to get there), expired by the request.
      await handle.setToken({ accessToken: 'old-access-token-value', refreshToken: 'refresh-token-value', expiresAt: Date.now() + 200 });
      await new Promise((resolve) => setTimeout(resolve, 250));
      const error = await client.get('/x').catch((e: unknown) => e);

      expect(error).toBeInstanceOf(RefreshFailedError);
      const text = everyRendering(error);
      for (const secret of [
        'refresh-token-value',
        'super-secret-value',
        Buffer.from('client-id:super-secret-value').toString('base64'),
        'old-access-token-value',
      ]) {
        expect(text).not.toContain(secret);
      }
    } finally {
      handle.detach();
      await api.close();
    }
  });

  it('never puts a token in an event payload', async () => {
    const h = await harness({ maxReplays: 1 });
    await seedAccepted(h);
    h.authority.revokeAll();
    await h.client.get('/x');
    h.api.handle(() => ({ status: 401 }));
    await h.client.get('/y').catch(() => undefined);

    expect(h.eventLog.length).toBeGreaterThan(3);
    for (const token of [...h.authority.accepted, 'refresh-0', 'refresh-1']) {
      for (const line of h.eventLog) expect(line).not.toContain(token);
    }
  });
});
