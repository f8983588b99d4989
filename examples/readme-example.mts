import axios from 'axios';
import { attachTokenRefresh, matchers, oauth2 } from 'axios-token-flight';

const api = axios.create({ baseURL: process.env.API_URL ?? 'https://api.linkedin.com' });
const handle = attachTokenRefresh(api, {
  key: 'linkedin:acct-42',
  refresh: oauth2.refreshTokenGrant({
    tokenUrl: process.env.TOKEN_URL ?? 'https://www.linkedin.com/oauth/v2/accessToken',
    clientId: process.env.CLIENT_ID!, clientSecret: process.env.CLIENT_SECRET!,
  }),
  matchers: [matchers.linkedin(), matchers.unauthorized()],
});
await handle.setToken({ accessToken: process.env.ACCESS_TOKEN!, refreshToken: process.env.REFRESH_TOKEN! });
const { data } = await api.get('/rest/me'); // expired → 1 refresh → "65601 not live yet" waited out → 200
console.log(data, handle.stats()); // { refreshes: 1, refreshFailures: 0, replays: 1, propagationWaits: 2, failures: 0, cachedTokens: 1, queuedRefreshes: 0 }
handle.detach();
