/**
 * `logger` takes a real pino logger as is: the plugin calls `(fields, message)`, pino's order, so
 * the JSON lines keep the key, reason, version and duration — and never a token.
 */
import { Writable } from 'node:stream';
import axios from 'axios';
import pino from 'pino';
import { attachTokenRefresh, RefreshFailedError, type Logger } from '../../lib';
import { startFakeProvider, type FakeProvider } from '../../lib/testing';
import { oauth2 } from '../../lib';

let provider: FakeProvider;
beforeEach(async () => {
  provider = await startFakeProvider();
});
afterEach(() => provider.close());

/** A pino logger at debug level whose JSON lines are collected, parsed. */
function capturedPino(): { logger: Logger; lines: Array<Record<string, unknown>>; raw: () => string } {
  const chunks: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk.toString('utf8'));
      done();
    },
  });
  const logger = pino({ level: 'debug' }, destination);
  const raw = (): string => chunks.join('');
  return {
    logger,
    raw,
    get lines() {
      return raw()
        .split('\n')
        .filter((line) => line !== '')
        .map((line) => JSON.parse(line) as Record<string, unknown>);
    },
  };
}

it('writes every field of a refresh into pino JSON, and no token', async () => {
  const log = capturedPino();
  const api = axios.create({ baseURL: provider.url });
  const handle = attachTokenRefresh(api, {
    refresh: oauth2.refreshTokenGrant({ tokenUrl: provider.tokenUrl, clientId: 'app' }),
    logger: log.logger,
    key: 'tenant-7',
  });
  const seed = provider.authorize();
  await handle.setToken(seed);
  provider.revokeAccessTokens();

  await api.get('/me');
  const current = await handle.getToken();
  handle.detach();

  const refreshed = log.lines.find((line) => line['msg'] === 'axios-token-flight: refreshed');
  expect(refreshed).toMatchObject({ level: 30, key: 'tenant-7', reason: 'rejected', version: 2 });
  expect(refreshed?.['durationMs']).toBeGreaterThanOrEqual(0);
  expect(refreshed?.['durationMs']).toBeLessThan(10_000); // a duration, not a timestamp
  expect(log.lines.find((line) => line['msg'] === 'axios-token-flight: refreshing')).toMatchObject({
    level: 20,
    key: 'tenant-7',
    fromVersion: 1,
  });
  for (const secret of [seed.accessToken, seed.refreshToken, current.accessToken, current.refreshToken as string]) {
    expect(log.raw()).not.toContain(secret);
  }
});

it('writes the error code of a failed refresh as a warn line', async () => {
  const log = capturedPino();
  const api = axios.create({ baseURL: provider.url });
  const handle = attachTokenRefresh(api, {
    refresh: oauth2.refreshTokenGrant({ tokenUrl: provider.tokenUrl, clientId: 'app' }),
    logger: log.logger,
    refreshBackoffMs: { initial: 0, max: 0 },
  });
  await handle.setToken(provider.authorize());
  provider.revokeAccessTokens();
  provider.setBehaviour({ tokenFault: 'server-error' });

  const error = await api.get('/me').catch((e: unknown) => e);
  handle.detach();

  expect(error).toBeInstanceOf(RefreshFailedError);
  expect(log.lines.find((line) => line['msg'] === 'axios-token-flight: refresh failed')).toMatchObject({
    level: 40,
    key: 'default',
    reason: 'rejected',
    code: 'ERR_REFRESH_FAILED',
  });
});
