/**
 * docs/testing.md's advice for jest fake timers, as a user would follow it: fake the clock, keep
 * nextTick / setImmediate / microtasks real, and advance with the async API. A propagation wait then
 * completes without waiting in real time.
 */
import axios from 'axios';
import { attachTokenRefresh, matchers, oauth2 } from '../../lib';
import { startFakeProvider } from '../../lib/testing';

afterEach(() => {
  jest.useRealTimers();
});

it('waits out a propagation delay under fake timers advanced with advanceTimersByTimeAsync', async () => {
  const provider = await startFakeProvider({ propagationMs: 5_000 });
  const api = axios.create({ baseURL: `${provider.url}/linkedin` });
  const handle = attachTokenRefresh(api, {
    refresh: oauth2.refreshTokenGrant({ tokenUrl: provider.tokenUrl, clientId: 'app' }),
    matchers: [matchers.linkedin(), matchers.unauthorized()],
    propagation: { maxWaits: 8 },
  });
  try {
    await handle.setToken(provider.authorize());
    // Taken before faking: jest fakes performance.now and process.hrtime as well.
    const realClock = process.hrtime.bigint;
    jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] });
    provider.revokeAccessTokens();
    const realStart = realClock();

    const pending = api.get('/rest/me');
    for (let i = 0; i < 40 && provider.stats.apiRequestsByStatus[200] === undefined; i++) await jest.advanceTimersByTimeAsync(1_000);
    const response = await pending;

    expect(response.status).toBe(200);
    expect(provider.stats.refreshes).toBe(1);
    expect(handle.stats().propagationWaits).toBeGreaterThan(0);
    // 5 s of propagation delay, waited out on the fake clock.
    expect(Number(realClock() - realStart) / 1e6).toBeLessThan(4_000);
  } finally {
    jest.useRealTimers();
    handle.detach();
    await provider.close();
  }
});
