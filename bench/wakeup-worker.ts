// Waiter wake-up: role "holder" refreshes (taking 100 ms) and reports when its write landed;
// role "waiter" is rejected meanwhile, waits on the lock, and reports when it resumed.
import axios from 'axios';
import Redis from 'ioredis';
import { attachTokenRefresh, RedisTokenStore } from 'axios-token-flight';
import { wallClockMs } from './shared';

const role = process.env['ROLE'] as 'holder' | 'waiter';
const redis = new Redis(process.env['REDIS_URL'] as string);
const api = axios.create({ baseURL: process.env['API_URL'] ?? '' });
let unexpectedRefreshes = 0;
const handle = attachTokenRefresh(api, {
  store: new RedisTokenStore(redis, { prefix: 'wakeup' }),
  key: (config) => String(config.headers.get('x-credential')),
  refresh: async () => {
    if (role === 'waiter') unexpectedRefreshes += 1;
    else process.send?.({ locked: true }); // the lock is held while refresh runs
    await new Promise((resolve) => setTimeout(resolve, 100));
    return { accessToken: `fresh-${Math.random()}`, expiresIn: 3600 };
  },
});
let at = 0;
handle.events.on(role === 'holder' ? 'refreshed' : 'replay', () => (at = wallClockMs()));

process.on('message', (message: { key: string } | 'stop') => {
  if (message === 'stop') {
    handle.detach();
    void redis.quit().then(() => process.disconnect());
    return;
  }
  at = 0;
  api
    .get('/r', { headers: { 'x-credential': message.key } })
    .then(() => process.send?.({ at, unexpectedRefreshes }))
    .catch((error: unknown) => process.send?.({ error: String(error) }));
});
process.send?.({ ready: true });
