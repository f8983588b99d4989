/**
 * The default store belongs to one attach (docs/stores.md, decision 0009): two instances share
 * tokens only when given the same store.
 */
import axios from 'axios';
import { attachTokenRefresh, MemoryTokenStore, type TokenRefreshHandle } from '../../lib';
import { startApi, type TestApi } from '../helpers/api-server';

let api: TestApi;
const handles: TokenRefreshHandle[] = [];
beforeEach(async () => {
  api = await startApi();
});
afterEach(async () => {
  for (const handle of handles.splice(0)) handle.detach();
  await api.close();
});

function attached(store: MemoryTokenStore | undefined, refreshed: string[], name: string) {
  const instance = axios.create({ baseURL: api.url });
  const handle = attachTokenRefresh(instance, {
    ...(store === undefined ? {} : { store }),
    refresh: async () => {
      refreshed.push(name);
      return { accessToken: `from-${name}-refresh`, expiresIn: 3600 };
    },
  });
  handles.push(handle);
  return { instance, handle };
}

it('without a store option, a token seeded on one instance is not used by another', async () => {
  const refreshed: string[] = [];
  const a = attached(undefined, refreshed, 'a');
  const b = attached(undefined, refreshed, 'b');

  await a.handle.setToken({ accessToken: 'seeded-on-a', expiresIn: 3600 });
  await a.instance.get('/x');
  await b.instance.get('/y');

  expect(api.requests.map((r) => r.authorization)).toEqual(['Bearer seeded-on-a', 'Bearer from-b-refresh']);
  expect(refreshed).toEqual(['b']);
});

it('with one store passed to both, they share the credential and nobody refreshes', async () => {
  const refreshed: string[] = [];
  const store = new MemoryTokenStore();
  const a = attached(store, refreshed, 'a');
  const b = attached(store, refreshed, 'b');

  await a.handle.setToken({ accessToken: 'seeded-on-a', expiresIn: 3600 });
  await b.instance.get('/y');

  expect(api.requests.map((r) => r.authorization)).toEqual(['Bearer seeded-on-a']);
  expect(refreshed).toEqual([]);
});
