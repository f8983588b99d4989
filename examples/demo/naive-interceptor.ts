/**
 * The contrast: what many codebases do. Each process keeps its token, and on a 401 refreshes it
 * (deduplicated inside the process, as axios-auth-refresh does), saves it to the shared store, and
 * retries once. Nothing coordinates the processes, and "not propagated yet" looks like any 401.
 */
import axios, { type AxiosError, type AxiosInstance, type InternalAxiosRequestConfig } from 'axios';

export interface SharedTokens {
  read(): Promise<{ accessToken: string; refreshToken: string }>;
  write(tokens: { accessToken: string; refreshToken: string }): Promise<void>;
}

export interface NaiveCounters {
  refreshes: number;
  retries: number;
}

export function attachNaiveRefresh(api: AxiosInstance, shared: SharedTokens, tokenUrl: string, counters: NaiveCounters): void {
  let accessToken: string | undefined;
  let refreshing: Promise<void> | undefined;

  const refresh = async (): Promise<void> => {
    const { refreshToken } = await shared.read();
    const body = new URLSearchParams({
      grant_type: 'refresh_token',
      refresh_token: refreshToken,
      client_id: 'demo',
      client_secret: 'demo-secret',
    });
    const { data } = await axios.post<{ access_token: string; refresh_token?: string }>(tokenUrl, body.toString());
    counters.refreshes += 1;
    accessToken = data.access_token;
    await shared.write({ accessToken: data.access_token, refreshToken: data.refresh_token ?? refreshToken });
  };

  api.interceptors.request.use(async (config) => {
    accessToken ??= (await shared.read()).accessToken;
    config.headers.set('Authorization', `Bearer ${accessToken}`);
    return config;
  });
  api.interceptors.response.use(undefined, async (error: AxiosError) => {
    const config = error.config as (InternalAxiosRequestConfig & { retried?: boolean }) | undefined;
    if (error.response?.status !== 401 || config === undefined || config.retried === true) throw error;
    config.retried = true;
    refreshing ??= refresh().finally(() => (refreshing = undefined));
    await refreshing;
    counters.retries += 1;
    return api.request(config);
  });
}
