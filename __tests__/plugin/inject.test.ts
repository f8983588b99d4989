import axios from 'axios';
import { attachTokenRefresh } from '../../lib';
import { startApi } from '../helpers/api-server';
import { closeAll, harness, seedAccepted, seedRejected, sleep } from '../helpers/setup';
import { bearer, TokenAuthority } from '../helpers/token-authority';

afterEach(closeAll);

describe('token injection', () => {
  it('puts the current token on requests to the baseURL origin', async () => {
    const h = await harness();
    const token = await seedAccepted(h);

    await h.client.get('/me');

    expect(h.api.requests[0]?.authorization).toBe(bearer(token));
  });

  it('sends no token to another origin and never refreshes for its 401', async () => {
    const h = await harness();
    await seedAccepted(h);
    const thirdParty = await startApi(() => ({ status: 401 }));
    try {
      const error = await h.client.get(`${thirdParty.url}/steal`).catch((e: unknown) => e);

      expect(axios.isAxiosError(error) && error.response?.status).toBe(401);
      expect(thirdParty.requests[0]?.authorization).toBeUndefined();
      expect(h.authority.refreshCount).toBe(0);
    } finally {
      await thirdParty.close();
    }
  });

  it('sends the token to every origin listed in `origins`, and to any with origins: "any"', async () => {
    const authority = new TokenAuthority();
    const a = await startApi(authority.handler());
    const b = await startApi(authority.handler());
    const listed = axios.create();
    const anyOrigin = axios.create();
    const h1 = attachTokenRefresh(listed, { refresh: authority.refresh, origins: [a.url, `${b.url}/some/path`] });
    const h2 = attachTokenRefresh(anyOrigin, { refresh: authority.refresh, origins: 'any' });
    try {
      await listed.get(`${a.url}/x`);
      await listed.get(`${b.url}/y`);
      await anyOrigin.get(`${b.url}/z`);
      expect([...a.requests, ...b.requests].every((r) => r.authorization?.startsWith('Bearer access-'))).toBe(true);
      expect(b.requests).toHaveLength(2);
    } finally {
      h1.detach();
      h2.detach();
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('overwrites a stale Authorization header the caller (or axios-retry) carried over', async () => {
    const h = await harness();
    const token = await seedAccepted(h);

    await h.client.get('/me', { headers: { Authorization: 'Bearer something-old' } });

    expect(h.api.requests[0]?.authorization).toBe(bearer(token));
  });

  it('honours tokenFlight.skip: no token, no refresh', async () => {
    const h = await harness();
    await seedRejected(h);

    const error = await h.client.get('/public', { tokenFlight: { skip: true } }).catch((e: unknown) => e);

    expect(axios.isAxiosError(error)).toBe(true);
    expect(h.api.requests[0]?.authorization).toBeUndefined();
    expect(h.authority.refreshCount).toBe(0);
  });

  it('honours an explicit Authorization: false', async () => {
    const h = await harness();
    await seedAccepted(h);

    const error = await h.client.get('/public', { headers: { Authorization: false } }).catch((e: unknown) => e);

    expect(axios.isAxiosError(error) && error.response?.status).toBe(401);
    expect(h.api.requests[0]?.authorization).toBeUndefined();
    expect(h.authority.refreshCount).toBe(0);
  });

  it.each([
    ['authorization', 'a valid cached token'],
    ['AUTHORIZATION', 'a valid cached token'],
    ['Authorization', 'no token yet'],
    ['authorization', 'no token yet'],
  ])("honours `%s: false` with %s: no token sent, no refresh, the 401 is the caller's", async (spelling, held) => {
    const h = await harness();
    if (held === 'a valid cached token') await seedAccepted(h);

    const error = await h.client.get('/public', { headers: { [spelling]: false } }).catch((e: unknown) => e);

    expect(axios.isAxiosError(error) && error.response?.status).toBe(401);
    expect(h.api.requests[0]?.authorization).toBeUndefined();
    expect(h.authority.refreshCount).toBe(0);
  });

  it('normalises a lower-case "bearer" token type', async () => {
    const h = await harness();
    const token = h.authority.issue();
    await h.handle.setToken({ accessToken: token, tokenType: 'bearer' });

    await h.client.get('/me');

    expect(h.api.requests[0]?.authorization).toBe(bearer(token));
  });
});

describe('expiry', () => {
  it('refreshes in the background when the token is within the skew but still valid, without blocking the request', async () => {
    // 1 s lifetime: the 60 s default skew is capped at half the lifetime, so refresh is due
    // 500–600 ms after issue (jitter); at 650 ms the token is due but valid for 350 ms more.
    const h = await harness({}, { latencyMs: 100 });
    const first = await seedAccepted(h, { expiresIn: 1 });
    await sleep(650);

    await h.client.get('/a');
    expect(h.api.requests[0]?.authorization).toBe(bearer(first)); // not held back by the refresh
    await sleep(150);
    await h.client.get('/b');

    expect(h.authority.refreshCount).toBe(1);
    expect(h.authority.contexts[0]?.reason).toBe('expiring');
    expect(h.api.requests[1]?.authorization).not.toBe(bearer(first));
  });

  it('waits for the refresh when the token has already expired', async () => {
    const h = await harness();
    const first = await seedAccepted(h, { expiresIn: 0.2 });
    await sleep(250);

    await Promise.all([h.client.get('/a'), h.client.get('/b')]);

    expect(h.authority.refreshCount).toBe(1);
    expect(h.api.requests.map((r) => r.authorization)).not.toContain(bearer(first));
  });
});

describe('per-tenant keys', () => {
  it('keeps one credential per key from a function of the request config, and honours tokenFlight.key', async () => {
    const h = await harness({ key: (config) => `tenant:${String(config.headers.get('X-Tenant'))}` });

    await h.client.get('/x', { headers: { 'X-Tenant': 'a' } });
    await h.client.get('/x', { headers: { 'X-Tenant': 'b' } });
    await h.client.get('/x', { headers: { 'X-Tenant': 'a' } });
    await h.client.get('/x', { tokenFlight: { key: 'tenant:b' } });

    expect(h.authority.contexts.map((c) => c.key)).toEqual(['tenant:a', 'tenant:b']);
    const [a1, b1, a2, b2] = h.api.requests.map((r) => r.authorization);
    expect(a1).toBe(a2);
    expect(b1).toBe(b2);
    expect(a1).not.toBe(b1);
  });

  it('rejects the request with a TypeError when the key function returns no string', async () => {
    const h = await harness({ key: () => '' });

    await expect(h.client.get('/x')).rejects.toThrow(TypeError);
    expect(h.api.requests).toHaveLength(0);
  });
});

describe('the hot path', () => {
  it.each([
    ['a valid cached token', {}],
    ['a tokenFlight.skip request', { tokenFlight: { skip: true } }],
  ])('hands %s to the adapter before get() returns: no promise, no tick of waiting', async (_case, config) => {
    const sent: unknown[] = [];
    const instance = axios.create({
      baseURL: 'https://api.example.com',
      adapter: async (request) => {
        sent.push(request.headers.get('Authorization'));
        return { data: {}, status: 200, statusText: 'OK', headers: {}, config: request };
      },
    });
    const handle = attachTokenRefresh(instance, { refresh: async () => ({ accessToken: 'unused' }) });
    await handle.setToken({ accessToken: 'cached', expiresIn: 3600 });

    const pending = instance.get('/me', config);
    const sentSynchronously = [...sent];
    await pending;
    handle.detach();

    expect(sentSynchronously).toEqual(['tokenFlight' in config ? undefined : 'Bearer cached']);
  });
});

describe('handle', () => {
  it('getToken refreshes a missing token; setToken seeds one; invalidate forces the next use to refresh, keeping the refresh token', async () => {
    const h = await harness();

    const first = await h.handle.getToken();
    expect(first).toMatchObject({ version: 1 });
    expect(h.authority.contexts[0]?.reason).toBe('missing');

    const seeded = await h.handle.setToken({ accessToken: 'seeded-token', refreshToken: 'seeded-refresh', expiresIn: 600 });
    expect(seeded).toMatchObject({ version: 2, accessToken: 'seeded-token', refreshToken: 'seeded-refresh' });
    expect((await h.handle.getToken()).accessToken).toBe('seeded-token');

    await h.handle.invalidate();
    const after = await h.handle.getToken();
    expect(h.authority.refreshCount).toBe(2);
    expect(h.authority.contexts[1]?.current?.refreshToken).toBe('seeded-refresh');
    expect(after.version).toBe(4);
  });

  it('keeps the previous refresh token when a refresh returns none', async () => {
    const h = await harness();
    h.handle.detach();
    const client = axios.create({ baseURL: h.api.url });
    const handle = attachTokenRefresh(client, { refresh: async () => ({ accessToken: 'no-rotation', expiresIn: 60 }) });
    try {
      await handle.setToken({ accessToken: 'old', refreshToken: 'long-lived', expiresIn: 60 });
      await handle.invalidate();
      expect(await handle.getToken()).toMatchObject({ accessToken: 'no-rotation', refreshToken: 'long-lived', version: 3 });
    } finally {
      handle.detach();
    }
  });

  it('setToken rejects malformed input with a TypeError naming the field', async () => {
    const h = await harness();
    await expect(h.handle.setToken({ accessToken: '' })).rejects.toThrow(/accessToken must be a non-empty string/);
    await expect(h.handle.setToken({ accessToken: 'a', expiresIn: Number.NaN })).rejects.toThrow(/expiresIn must be a positive number/);
    await expect(h.handle.setToken({ accessToken: 'a', expiresAt: Date.now() - 1 })).rejects.toThrow(/expiresAt must be a future/);
    await expect(h.handle.setToken({ accessToken: 'a', refreshToken: 5 as unknown as string })).rejects.toThrow(
      /refreshToken must be a string/,
    );
  });

  it('getToken without a key throws when the key option is a function', async () => {
    const h = await harness({ key: () => 'k' });
    expect(() => h.handle.getToken()).toThrow(/needs a key/);
  });
});
