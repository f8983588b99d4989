/**
 * The plugin's own cost per request, without I/O: the same axios instance shape with an adapter
 * that answers at once, bare vs with the plugin (and vs one no-op async interceptor, the floor any
 * async interceptor pays in axios). CPU time per request, medians of interleaved rounds.
 */
import axios, { type AxiosAdapter, type AxiosInstance } from 'axios';
import { attachTokenRefresh, MemoryTokenStore } from 'axios-token-flight';
import { median } from './shared';

export interface OverheadResult {
  bareMicros: number;
  asyncInterceptorMicros: number;
  pluginMicros: number;
  pluginOverheadMicros: number;
}

const answerAtOnce: AxiosAdapter = async (config) => ({
  data: '{"ok":true}',
  status: 200,
  statusText: 'OK',
  headers: {},
  config,
  request: {},
});

export async function overhead(quick: boolean): Promise<OverheadResult> {
  const bare = axios.create({ baseURL: 'https://api.example.com', adapter: answerAtOnce });
  const asyncFloor = axios.create({ baseURL: 'https://api.example.com', adapter: answerAtOnce });
  asyncFloor.interceptors.request.use(async (config) => config);
  const plugin = axios.create({ baseURL: 'https://api.example.com', adapter: answerAtOnce });
  const handle = attachTokenRefresh(plugin, {
    store: new MemoryTokenStore(),
    refresh: async () => ({ accessToken: 'bench', expiresIn: 3600 }),
  });

  const perRound = quick ? 5_000 : 40_000;
  const rounds = quick ? 2 : 7;
  const clients: Array<[keyof Omit<OverheadResult, 'pluginOverheadMicros'>, AxiosInstance]> = [
    ['bareMicros', bare],
    ['asyncInterceptorMicros', asyncFloor],
    ['pluginMicros', plugin],
  ];
  const samples = new Map(clients.map(([name]) => [name, [] as number[]]));
  for (const [, client] of clients) for (let i = 0; i < 5_000; i += 1) await client.get('/warm');
  for (let round = 0; round < rounds; round += 1) {
    for (const [name, client] of clients) {
      const before = process.cpuUsage();
      for (let i = 0; i < perRound; i += 1) await client.get('/resource');
      const used = process.cpuUsage(before);
      samples.get(name)?.push((used.user + used.system) / perRound);
    }
  }
  handle.detach();
  const result = Object.fromEntries(clients.map(([name]) => [name, median(samples.get(name) as number[])])) as Omit<
    OverheadResult,
    'pluginOverheadMicros'
  >;
  return { ...result, pluginOverheadMicros: result.pluginMicros - result.bareMicros };
}
