/**
 * A token answer the plugin refuses (a quirky `expires_in`, a non-ASCII or oversized access token)
 * may still have rotated the refresh token at the provider. Dropping the new refresh token would
 * make the next refresh present the spent one — reuse, and the provider revokes the whole grant.
 * The fake provider here rotates and detects reuse as Auth0 / Okta do.
 */
import axios, { type AxiosInstance } from 'axios';
import {
  attachTokenRefresh,
  MemoryTokenStore,
  oauth2,
  RedisTokenStore,
  RefreshFailedError,
  type TokenRefreshHandle,
  type TokenStore,
} from '../../lib';
import { createRedis } from '../helpers/redis-client';
import { useRedisAndProvider } from '../helpers/redis-and-provider';

const setup = useRedisAndProvider();

function attach(store: TokenStore = new MemoryTokenStore()): { api: AxiosInstance; handle: TokenRefreshHandle } {
  const { provider } = setup;
  const api = axios.create({ baseURL: provider.url });
  const handle = attachTokenRefresh(api, {
    store,
    refresh: oauth2.refreshTokenGrant({ tokenUrl: provider.tokenUrl, clientId: 'client-1' }),
    refreshBackoffMs: { initial: 50, max: 100 },
  });
  setup.onCleanup(() => handle.detach());
  return { api, handle };
}

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('a refused answer never burns a rotating grant', () => {
  it.each([
    ['expires_in: 0', { expires_in: 0 }],
    ['expires_in: ""', { expires_in: '' }],
    ['a non-ASCII access token', { access_token: 'at_caf\u00e9-token-value' }],
    ['a 100 000-character access token', { access_token: `at_${'x'.repeat(100_000)}` }],
  ])('%s: a retryable error, then the next refresh presents the new refresh token (0 reuse detections)', async (_, quirk) => {
    const { provider } = setup;
    const { api, handle } = attach();
    await handle.setToken(provider.authorize());
    provider.revokeAccessTokens();
    provider.setBehaviour({ answerQuirks: [quirk] });

    const first = await api.get('/data').catch((error: unknown) => error);
    await pause(150); // the short refresh backoff
    const second = await api.get('/data');

    expect(first).toBeInstanceOf(RefreshFailedError);
    expect((first as RefreshFailedError).retryable).toBe(true);
    expect(second.status).toBe(200);
    expect(provider.stats.reuseDetections).toBe(0);
    expect(provider.stats.refreshes).toBe(2);
  });

  it('the kept refresh token is shared with the fleet: another process refreshes with it, no reuse', async () => {
    const { provider, redis } = setup;
    const clients = [createRedis(redis.port), createRedis(redis.port)];
    setup.onCleanup(...clients.map((client) => () => client.quit()));
    const one = attach(new RedisTokenStore(clients[0] as never));
    const other = attach(new RedisTokenStore(clients[1] as never));
    await one.handle.setToken(provider.authorize());
    provider.revokeAccessTokens();
    provider.setBehaviour({ answerQuirks: [{ expires_in: 0 }] });

    await one.api.get('/data').catch(() => undefined);
    await pause(150);
    const answer = await other.api.get('/data');

    expect(answer.status).toBe(200);
    expect(provider.stats.reuseDetections).toBe(0);
  });

  it('"Bearer " with a stray space is a harmless quirk: accepted as Bearer', async () => {
    const { provider } = setup;
    const { api, handle } = attach();
    await handle.setToken(provider.authorize());
    provider.revokeAccessTokens();
    provider.setBehaviour({ answerQuirks: [{ token_type: 'Bearer ' }] });

    const answer = await api.get('/data');

    expect(answer.status).toBe(200);
    expect(provider.stats.refreshes).toBe(1);
  });
});

describe('the access token size cap (16 384 characters)', () => {
  it('a 6 000-character token is accepted; a 100 000-character one is refused as too large, at setToken and at refresh', async () => {
    const { provider } = setup;
    const { handle } = attach();
    provider.setBehaviour({ answerQuirks: [{ access_token: `at_${'y'.repeat(100_000)}` }] });

    const accepted = await handle.setToken({ accessToken: `at_${'x'.repeat(6_000)}`, expiresIn: 3600 });
    const refused = await handle.setToken({ accessToken: `at_${'x'.repeat(100_000)}` }).catch((error: unknown) => error);
    await handle.setToken({ ...provider.authorize(), expiresIn: undefined, expiresAt: Date.now() + 50 });
    await pause(60);
    const refreshError = await handle.getToken().catch((error: unknown) => error);

    expect(accepted.accessToken).toHaveLength(6_003);
    expect(refused).toBeInstanceOf(TypeError);
    expect((refused as Error).message).toMatch(/accessToken is too large \(100003 characters; at most 16384/);
    expect(refreshError).toBeInstanceOf(RefreshFailedError);
    expect((refreshError as Error).message).toMatch(/too large/);
    expect((refreshError as Error).message).not.toContain('yyyy');
  });
});
