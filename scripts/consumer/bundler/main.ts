// A bundler-mode consumer (moduleResolution: bundler), bundled with esbuild into one file and run.
import axios from 'axios';
import { attachTokenRefresh, MemoryTokenStore, oauth2 } from 'axios-token-flight';
import { startFakeProvider } from 'axios-token-flight/testing';

const provider = await startFakeProvider();
const store = new MemoryTokenStore();
const api = axios.create({ baseURL: provider.url });
const handle = attachTokenRefresh(api, { store, refresh: oauth2.refreshTokenGrant({ tokenUrl: provider.tokenUrl, clientId: 'app' }) });
await handle.setToken(provider.authorize());
provider.revokeAccessTokens();
await api.get('/me');
if (provider.stats.refreshes !== 1) throw new Error(`expected 1 refresh, saw ${provider.stats.refreshes}`);
handle.detach();
await provider.close();
console.log('bundler consumer: ok');
