import axios from 'axios';
import { attachTokenRefresh, matchers, oauth2, type TokenStore } from 'axios-token-flight';

/** Shopify's Admin API reads the token from `X-Shopify-Access-Token`, without a scheme. */
export function shopifyAdmin(options: {
  shopUrl: string;
  store: TokenStore;
  tokenUrl: string;
  clientId: string;
  clientSecret?: string | undefined;
}) {
  const client = axios.create({ baseURL: options.shopUrl });
  const handle = attachTokenRefresh(client, {
    store: options.store,
    key: `shopify:${new URL(options.shopUrl).host}`,
    refresh: oauth2.refreshTokenGrant({ tokenUrl: options.tokenUrl, clientId: options.clientId, clientSecret: options.clientSecret }),
    inject: { header: 'X-Shopify-Access-Token', scheme: null },
    matchers: [matchers.shopify()],
  });
  return { client, handle };
}
