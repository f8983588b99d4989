import { randomBytes } from 'node:crypto';
import type { AxiosInstance } from 'axios';
import { attachTokenRefresh, type TokenRefreshHandle, type TokenRefreshOptions } from '../../lib';

/**
 * Attaches the plugin to `instance` with `accessToken` seeded (and a refresh token), as the
 * security suites need: a refresh hands the same token out again and is counted with `onRefresh`,
 * so a test can assert that nothing it did caused one.
 */
export async function attachSeeded(
  instance: AxiosInstance,
  accessToken: string,
  options: Partial<TokenRefreshOptions>,
  onRefresh: () => void,
): Promise<TokenRefreshHandle> {
  const handle = attachTokenRefresh(instance, {
    refresh: async () => {
      onRefresh();
      return { accessToken, expiresIn: 3600 };
    },
    ...options,
  });
  await handle.setToken({ accessToken, refreshToken: `rt_${randomBytes(24).toString('base64url')}`, expiresIn: 3600 });
  return handle;
}
