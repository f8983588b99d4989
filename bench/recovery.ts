/**
 * Recovery latency: from the first rejection to the last replay's answer, for C concurrent
 * requests, with the token endpoint answering after 50 ms — as a ratio to the physical limit of
 * one token round trip plus one round trip of the C replays (a burst of C requests with a valid
 * token), both measured in the same run and the same process.
 */
import http from 'node:http';
import axios from 'axios';
import { attachTokenRefresh, oauth2 } from 'axios-token-flight';
import { startFakeProvider } from 'axios-token-flight/testing';
import { median } from './shared';

export interface RecoveryResult {
  concurrency: number;
  medianRecoveryMs: number;
  limitMs: number;
  ratio: number;
}

export async function recovery(concurrency: number, iterations: number): Promise<RecoveryResult> {
  const provider = await startFakeProvider({ tokenLatencyMs: 50 });
  const httpAgent = new http.Agent({ keepAlive: true });
  const raw = axios.create({ httpAgent, validateStatus: () => true });

  // The physical limit, measured: a token round trip, and the round trip of a burst of C valid requests.
  const { accessToken } = provider.authorize();
  const tokenTrips: number[] = [];
  const burstTrips: number[] = [];
  for (let i = 0; i < 10; i += 1) {
    const { refreshToken } = provider.authorize();
    let started = performance.now();
    await raw.post(provider.tokenUrl, new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken }).toString());
    tokenTrips.push(performance.now() - started);
    started = performance.now();
    await Promise.all(
      Array.from({ length: concurrency }, (_, n) =>
        raw.get(`${provider.url}/r/${n}`, { headers: { Authorization: `Bearer ${accessToken}` } }),
      ),
    );
    burstTrips.push(performance.now() - started);
  }
  const limitMs = median(tokenTrips) + median(burstTrips);

  const api = axios.create({ baseURL: provider.url, httpAgent });
  let firstRejection: number | undefined;
  // Registered before the plugin, so it sees the 401 before the plugin acts on it.
  api.interceptors.response.use(undefined, (error: unknown) => {
    if (axios.isAxiosError(error) && error.response?.status === 401) firstRejection ??= performance.now();
    throw error;
  });
  const handle = attachTokenRefresh(api, {
    refresh: oauth2.refreshTokenGrant({ tokenUrl: provider.tokenUrl, clientId: 'bench', clientSecret: 'bench' }),
  });
  await handle.setToken(provider.authorize());
  await api.get('/warm');

  const samples: number[] = [];
  for (let i = 0; i < iterations; i += 1) {
    provider.revokeAccessTokens();
    firstRejection = undefined;
    await Promise.all(Array.from({ length: concurrency }, (_, n) => api.get(`/r/${n}`)));
    samples.push(performance.now() - (firstRejection ?? Number.NaN));
  }
  handle.detach();
  httpAgent.destroy();
  await provider.close();
  const medianRecoveryMs = median(samples);
  return { concurrency, medianRecoveryMs, limitMs, ratio: medianRecoveryMs / limitMs };
}
