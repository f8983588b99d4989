// What the docs snippets take as given: your app's own values, declared so each snippet can be
// type-checked as written. Anything the package provides is imported, never declared here.
import type { AxiosInstance } from 'axios';
import type { Redis } from 'ioredis';
import type { RefreshContext, TokenInput, TokenRefreshHandle, TokenStore } from 'axios-token-flight';

declare global {
  const api: AxiosInstance;
  const handle: TokenRefreshHandle;
  const redis: Redis;
  const store: TokenStore;
  const refresh: (context: RefreshContext) => Promise<TokenInput>;
  const clientId: string;
  const clientSecret: string;
  const tenant: string;
  const shop: string;
  const instanceUrl: string;
  const firstToken: TokenInput;
  const firstTokenResponse: TokenInput & { extra: { instance_url: string } };
  const upsertIfNewer: string;
  // pg's Pool.query resolves to rows of `any`, as here.
  // biome-ignore lint/suspicious/noExplicitAny: a stand-in for pg's untyped rows, as the docs' snippets meet them
  const db: { query(sql: string, params: unknown[]): Promise<{ rows: any[] }> };
  const pool: unknown;
  class PostgresTokenStore implements TokenStore {
    constructor(pool: unknown);
    get: TokenStore['get'];
    compareAndSet: TokenStore['compareAndSet'];
    acquireLock: TokenStore['acquireLock'];
    releaseLock: TokenStore['releaseLock'];
  }
}
