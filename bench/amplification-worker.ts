// One process of the refresh-amplification benchmark: on "go", fires CONCURRENCY requests at an API
// that rejects the token it holds, using one of three refresh strategies.
import axios, { type AxiosInstance } from 'axios';
import createAuthRefresh from 'axios-auth-refresh';
import Redis from 'ioredis';
import { attachTokenRefresh, oauth2, RedisTokenStore } from 'axios-token-flight';
import { attachNaiveRefresh, type SharedTokens } from '../examples/demo/naive-interceptor';

const env = (name: string): string => process.env[name] ?? '';
const mode = env('MODE') as 'plugin' | 'axios-auth-refresh' | 'naive';
const [apiUrl, tokenUrl, redisUrl, key] = [env('API_URL'), env('TOKEN_URL'), env('REDIS_URL'), env('KEY')];
const concurrency = Number(env('CONCURRENCY'));

async function main(): Promise<void> {
  const redis = new Redis(redisUrl);
  const api = axios.create({ baseURL: apiUrl });
  const shared: SharedTokens = {
    read: async () => JSON.parse((await redis.get(`bench-shared:${key}`)) ?? '{}'),
    write: async (tokens) => void (await redis.set(`bench-shared:${key}`, JSON.stringify(tokens))),
  };
  let detach = (): void => undefined;
  if (mode === 'plugin') {
    const handle = attachTokenRefresh(api, {
      store: new RedisTokenStore(redis, { prefix: 'bench' }),
      key,
      refresh: oauth2.refreshTokenGrant({ tokenUrl, clientId: 'bench', clientSecret: 'bench' }),
    });
    await handle.getToken(key);
    detach = () => handle.detach();
  } else if (mode === 'axios-auth-refresh') {
    attachAxiosAuthRefresh(api, shared);
  } else {
    attachNaiveRefresh(api, shared, tokenUrl, { refreshes: 0, retries: 0 });
  }
  process.send?.({ ready: true });
  await new Promise<void>((resolve) => process.once('message', () => resolve()));
  const results = await Promise.allSettled(Array.from({ length: concurrency }, (_, i) => api.get(`/r/${i}`)));
  const ok = results.filter((r) => r.status === 'fulfilled').length;
  detach();
  await redis.quit();
  process.send?.({ ok, failed: results.length - ok }, () => process.disconnect());
}

/** axios-auth-refresh 5 as its README shows it, with the refresh token shared through Redis. */
function attachAxiosAuthRefresh(api: AxiosInstance, shared: SharedTokens): void {
  let accessToken: string | undefined;
  api.interceptors.request.use(async (config) => {
    accessToken ??= (await shared.read()).accessToken;
    config.headers.set('Authorization', `Bearer ${accessToken}`);
    return config;
  });
  createAuthRefresh(api, async (failedRequest: { response: { config: { headers: Record<string, string> } } }) => {
    const { refreshToken } = await shared.read();
    const body = new URLSearchParams({
      grant_type: 'refresh_token',
      refresh_token: refreshToken,
      client_id: 'bench',
      client_secret: 'bench',
    });
    const { data } = await axios.post<{ access_token: string; refresh_token?: string }>(tokenUrl, body.toString());
    accessToken = data.access_token;
    await shared.write({ accessToken, refreshToken: data.refresh_token ?? refreshToken });
    failedRequest.response.config.headers['Authorization'] = `Bearer ${accessToken}`;
  });
}

void main();
