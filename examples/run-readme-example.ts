/**
 * Runs readme-example.mts exactly as the README shows it, against the package's own fake provider
 * in LinkedIn style: the seeded token is expired → one refresh → "65601 not live yet" while the
 * new token propagates → success.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { startFakeProvider } from 'axios-token-flight/testing';

async function main(): Promise<void> {
  const provider = await startFakeProvider({ propagationMs: 700 });
  const { refreshToken } = provider.authorize();
  // Async spawn: the provider is served by this process's event loop.
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(__dirname, 'readme-example.mts')], {
    stdio: 'inherit',
    env: {
      ...process.env,
      API_URL: `${provider.url}/linkedin`,
      TOKEN_URL: provider.tokenUrl,
      CLIENT_ID: 'demo-client',
      CLIENT_SECRET: 'demo-secret',
      ACCESS_TOKEN: 'an-expired-access-token',
      REFRESH_TOKEN: refreshToken,
    },
  });
  const [code] = (await once(child, 'exit')) as [number | null];
  const { refreshes, reuseDetections, apiRequestsByOutcome } = provider.stats;
  console.log(
    `provider saw ${refreshes} refresh(es), ${reuseDetections} reuse detections, API answers ${JSON.stringify(apiRequestsByOutcome)}`,
  );
  await provider.close();
  process.exitCode = code ?? 1;
}

void main();
