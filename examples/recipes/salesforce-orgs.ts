import axios, { type AxiosInstance } from 'axios';
import { attachTokenRefresh, matchers, oauth2, type TokenInput, type TokenRefreshHandle, type TokenStore } from 'axios-token-flight';

/**
 * One axios instance per Salesforce org, pointed at the org's own `instance_url` (from the token
 * response, kept in `token.extra`): an org's token can only ever go to that org's host.
 */
export function salesforceOrgs(options: { store: TokenStore; tokenUrl: string; clientId: string; clientSecret?: string | undefined }) {
  const refresh = oauth2.refreshTokenGrant({ tokenUrl: options.tokenUrl, clientId: options.clientId, clientSecret: options.clientSecret });
  const orgs = new Map<string, { client: AxiosInstance; handle: TokenRefreshHandle }>();

  const attachOrg = (key: string, instanceUrl: string) => {
    orgs.get(key)?.handle.detach(); // a new connection, or the org moved to another instance
    const client = axios.create({ baseURL: instanceUrl });
    const handle = attachTokenRefresh(client, {
      store: options.store,
      key,
      refresh,
      matchers: [matchers.salesforce(), matchers.unauthorized()],
    });
    orgs.set(key, { client, handle });
    return { client, handle };
  };

  return {
    /** Stores an org's first token (your authorization-code exchange's answer, `instance_url` in `extra`). */
    async connect(orgId: string, first: TokenInput & { extra: { instance_url: string } }): Promise<void> {
      await attachOrg(`salesforce:${orgId}`, first.extra.instance_url).handle.setToken(first);
    },
    /** The client for a connected org, in any process that shares the store. */
    async clientFor(orgId: string): Promise<AxiosInstance> {
      const key = `salesforce:${orgId}`;
      const instanceUrl = (await options.store.get(key))?.extra['instance_url'];
      if (typeof instanceUrl !== 'string') throw new Error(`Salesforce org ${orgId} is not connected`);
      const known = orgs.get(key);
      return known?.client.defaults.baseURL === instanceUrl ? known.client : attachOrg(key, instanceUrl).client;
    },
    close(): void {
      for (const { handle } of orgs.values()) handle.detach();
      orgs.clear();
    },
  };
}
