/**
 * `authMethod: 'private_key_jwt'` against panva's oidc-provider 9 (ESM only, so in a child process),
 * with a client registered for `token_endpoint_auth_method: 'private_key_jwt'`: a refresh through
 * the plugin succeeds and rotates; the client credentials grant too; a wrong key is refused with
 * `invalid_client`, and nothing of the key is in the error.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import path from 'node:path';
import { createInterface } from 'node:readline';
import axios from 'axios';
import { attachTokenRefresh, oauth2, ReauthorizationRequiredError } from '../../lib';

const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const privatePem = rsa.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
let child: ChildProcess;
let tokenUrl: string;
let refreshToken: string;

beforeAll(async () => {
  const jwk = { ...rsa.publicKey.export({ format: 'jwk' }), kid: 'client-key-1', use: 'sig', alg: 'RS256' };
  child = spawn(process.execPath, [path.join(__dirname, '..', 'fixtures', 'oidc-provider-child.mjs')], {
    env: { ...process.env, CLIENT_JWK: JSON.stringify(jwk) },
    stdio: ['pipe', 'pipe', 'ignore'],
  });
  const firstLine = await new Promise<string>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
    lines.once('line', resolve);
    child.once('exit', (code) => reject(new Error(`oidc-provider exited with ${code}`)));
  });
  ({ tokenUrl, refreshToken } = JSON.parse(firstLine) as { tokenUrl: string; refreshToken: string });
}, 20_000);
afterAll(() => {
  child.stdin?.end();
  child.kill();
});

const pkjwt = { clientId: 'pkjwt-client', authMethod: 'private_key_jwt', privateKey: privatePem, keyId: 'client-key-1' } as const;

test('a refresh through the plugin succeeds: oidc-provider verifies the client assertion and rotates the refresh token', async () => {
  const handle = attachTokenRefresh(axios.create(), { origins: 'any', refresh: oauth2.refreshTokenGrant({ tokenUrl, ...pkjwt }) });
  try {
    await handle.setToken({ accessToken: 'expired', refreshToken, expiresIn: 1 });
    await handle.invalidate();
    const token = await handle.getToken();
    expect(token.version).toBe(3);
    expect(token.accessToken).not.toBe('expired');
    expect(token.refreshToken).toBeDefined();
    expect(token.refreshToken).not.toBe(refreshToken);
    expect(handle.stats().refreshes).toBe(1);
  } finally {
    handle.detach();
  }
});

test('the client credentials grant authenticates the same way', async () => {
  const refresh = oauth2.clientCredentialsGrant({ tokenUrl, ...pkjwt, scope: 'api:read' });
  const token = await refresh({ key: 'm2m', current: null, reason: 'missing', signal: new AbortController().signal });
  expect(typeof token.accessToken).toBe('string');
});

test('a wrong key: ReauthorizationRequiredError naming invalid_client, with no key material in it', async () => {
  const other = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const otherPem = other.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
  const refresh = oauth2.refreshTokenGrant({ tokenUrl, ...pkjwt, privateKey: otherPem });
  const current = { accessToken: 'a', refreshToken, version: 1, issuedAt: Date.now(), extra: {} };
  const error = await refresh({ key: 'k', current, reason: 'rejected', signal: new AbortController().signal }).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(ReauthorizationRequiredError);
  expect((error as Error).message).toContain('invalid_client');
  const text = JSON.stringify(error, Object.getOwnPropertyNames(error)) + String((error as Error).stack);
  for (const line of otherPem.split('\n').filter((l) => l.length > 20 && !l.startsWith('-----'))) expect(text).not.toContain(line);
  expect(text).not.toContain(refreshToken);
});
