/**
 * `npm run example`: runs readme-example.mts exactly as the README shows it, against a local
 * LinkedIn-like provider (expired token → one refresh → 65601 while it propagates → success).
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { startLocalProvider } from './local-provider';

async function main(): Promise<void> {
  const provider = await startLocalProvider();
  // Async spawn: the provider is served by this process's event loop.
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(__dirname, 'readme-example.mts')], {
    stdio: 'inherit',
    env: {
      ...process.env,
      API_URL: provider.apiUrl,
      TOKEN_URL: provider.tokenUrl,
      CLIENT_ID: 'demo-client',
      CLIENT_SECRET: 'demo-secret',
      ACCESS_TOKEN: provider.expiredAccessToken,
      REFRESH_TOKEN: provider.refreshToken,
    },
  });
  const [code] = (await once(child, 'exit')) as [number | null];
  console.log(`provider saw ${provider.stats.refreshes} refresh(es) and ${provider.stats.apiRequests} API requests`);
  await provider.close();
  process.exitCode = code ?? 1;
}

void main();
