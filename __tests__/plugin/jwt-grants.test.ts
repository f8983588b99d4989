/**
 * JWT-based grants against a token endpoint that verifies every assertion with node:crypto
 * (helpers/jwt-verifier.ts): the JWT bearer grant (RFC 7523 §2.1) and `private_key_jwt` client
 * authentication (§2.2), RS256, PS256 and ES256; option checks at creation; no key material in
 * any error.
 */
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import axios from 'axios';
import { attachTokenRefresh, oauth2, type RefreshContext, ReauthorizationRequiredError } from '../../lib';
import { Cleanups } from '../helpers/setup';
import { type JwtVerifier, startJwtVerifier } from '../helpers/jwt-verifier';

const cleanups = new Cleanups();
afterEach(() => cleanups.run());

const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const rsaPem = rsa.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
const context = (): RefreshContext => ({ key: 'sa', current: null, reason: 'missing', signal: new AbortController().signal });

async function verifier(
  publicKey: KeyObject,
  field: 'assertion' | 'client_assertion',
  claims: { issuer: string; subject: string; audience?: string },
) {
  const started: JwtVerifier = await startJwtVerifier({ publicKey, field, ...claims });
  cleanups.push(() => started.close());
  return started;
}

describe('oauth2.jwtBearerGrant', () => {
  it.each([
    ['RS256', rsa, rsaPem],
    ['PS256', rsa, rsa.privateKey],
    ['ES256', ec, ec.privateKey.export({ format: 'jwk' })],
  ] as const)(
    '%s: two refreshes, each with a fresh jti and iat, verified; grant_type and assertion sent, scope exactly as given',
    async (algorithm, pair, privateKey) => {
      const server = await verifier(pair.publicKey, 'assertion', { issuer: 'sa@project.iam', subject: 'sa@project.iam' });
      const refresh = oauth2.jwtBearerGrant({
        tokenUrl: server.url,
        issuer: 'sa@project.iam',
        audience: server.url,
        privateKey,
        algorithm,
        keyId: 'key-1',
        scope: 'https://www.googleapis.com/auth/drive.readonly openid',
      });
      await expect(refresh(context())).resolves.toMatchObject({ accessToken: 'at-1' });
      await expect(refresh(context())).resolves.toMatchObject({ accessToken: 'at-2' });
      expect(server.refusals).toEqual([]);
      const [first, second] = server.accepted;
      expect(first?.header).toMatchObject({ alg: algorithm, kid: 'key-1', typ: 'JWT' });
      expect(first?.form['grant_type']).toBe('urn:ietf:params:oauth:grant-type:jwt-bearer');
      expect(first?.form['scope']).toBe('https://www.googleapis.com/auth/drive.readonly openid');
      expect(first?.claims['jti']).not.toBe(second?.claims['jti']);
      const lifetime = Number(first?.claims['exp']) - Number(first?.claims['iat']);
      expect(lifetime).toBe(300);
    },
  );

  it('sends no scope when none is given, a subject when given, an array aud as an array; a replayed assertion is refused by the server', async () => {
    const server = await verifier(rsa.publicKey, 'assertion', {
      issuer: 'consumer-key',
      subject: 'user@example.com',
      audience: 'https://login.salesforce.com',
    });
    const refresh = oauth2.jwtBearerGrant({
      tokenUrl: server.url,
      issuer: 'consumer-key',
      subject: 'user@example.com',
      audience: ['https://login.salesforce.com', 'https://other.example'],
      privateKey: rsaPem,
      lifetimeSec: 180,
    });
    await refresh(context());
    const form = server.accepted[0]?.form ?? {};
    expect('scope' in form).toBe(false);
    expect(server.accepted[0]?.claims['aud']).toEqual(['https://login.salesforce.com', 'https://other.example']);
    // The same assertion sent again (as a replaying attacker would) is refused: jti is unique per call.
    const replayed = await axios.post(server.url, new URLSearchParams(form).toString(), { validateStatus: () => true });
    expect(replayed.status).toBe(400);
    expect(server.refusals).toEqual(['jti replayed']);
  });

  it('works with no stored credential at all: the first request refreshes with reason "missing"', async () => {
    const server = await verifier(ec.publicKey, 'assertion', { issuer: 'svc', subject: 'svc' });
    const reasons: string[] = [];
    const refresh = oauth2.jwtBearerGrant({
      tokenUrl: server.url,
      issuer: 'svc',
      audience: server.url,
      privateKey: ec.privateKey,
      algorithm: 'ES256',
    });
    const handle = attachTokenRefresh(axios.create(), {
      origins: 'any',
      refresh: (ctx) => {
        reasons.push(ctx.reason);
        return refresh(ctx);
      },
    });
    cleanups.push(() => handle.detach());
    await expect(handle.getToken()).resolves.toMatchObject({ accessToken: 'at-1', version: 1 });
    expect(reasons).toEqual(['missing']);
  });

  it('a refused assertion is a typed error, with no key material and no assertion in it', async () => {
    const other = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const server = await verifier(other.publicKey, 'assertion', { issuer: 'svc', subject: 'svc' });
    const refresh = oauth2.jwtBearerGrant({ tokenUrl: server.url, issuer: 'svc', audience: server.url, privateKey: rsaPem });
    const error = await refresh(context()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ReauthorizationRequiredError);
    expect(String((error as Error).message)).toContain('invalid_grant');
    const text = JSON.stringify(error, Object.getOwnPropertyNames(error)) + String((error as Error).stack);
    for (const line of rsaPem.split('\n').filter((l) => l.length > 20 && !l.startsWith('-----'))) expect(text).not.toContain(line);
    expect(text).not.toMatch(/eyJ[\w-]+\.eyJ[\w-]+\.[\w-]+/);
  });
});

describe("authMethod: 'private_key_jwt'", () => {
  it.each([
    ['refreshTokenGrant', 'RS256'],
    ['clientCredentialsGrant', 'ES256'],
  ] as const)(
    '%s (%s): a client_assertion (iss = sub = clientId, aud = tokenUrl, fresh jti), never a client_secret',
    async (helper, algorithm) => {
      const pair = algorithm === 'ES256' ? ec : rsa;
      const server = await verifier(pair.publicKey, 'client_assertion', { issuer: 'client-1', subject: 'client-1' });
      const options = {
        tokenUrl: server.url,
        clientId: 'client-1',
        authMethod: 'private_key_jwt',
        privateKey: pair.privateKey,
        algorithm,
        keyId: 'k1',
      } as const;
      const refresh = helper === 'refreshTokenGrant' ? oauth2.refreshTokenGrant(options) : oauth2.clientCredentialsGrant(options);
      const current = { accessToken: 'old', refreshToken: 'rt-1', version: 1, issuedAt: Date.now(), extra: {} };
      await refresh({ ...context(), current });
      await refresh({ ...context(), current });
      const [first, second] = server.accepted;
      expect(first?.form['client_assertion_type']).toBe('urn:ietf:params:oauth:client-assertion-type:jwt-bearer');
      expect(first?.form['client_id']).toBe('client-1');
      expect('client_secret' in (first?.form ?? {})).toBe(false);
      expect(first?.header).toMatchObject({ alg: algorithm, kid: 'k1' });
      expect(first?.form['grant_type']).toBe(helper === 'refreshTokenGrant' ? 'refresh_token' : 'client_credentials');
      expect(first?.claims['jti']).not.toBe(second?.claims['jti']);
      expect(Number(first?.claims['exp']) - Number(first?.claims['iat'])).toBeLessThanOrEqual(3_600);
    },
  );

  it('a refused assertion (wrong key) is a ReauthorizationRequiredError naming invalid_client (someone must fix the key), without key material', async () => {
    const other = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const server = await verifier(other.publicKey, 'client_assertion', { issuer: 'client-1', subject: 'client-1' });
    const refresh = oauth2.clientCredentialsGrant({
      tokenUrl: server.url,
      clientId: 'client-1',
      authMethod: 'private_key_jwt',
      privateKey: rsaPem,
    });
    const error = await refresh(context()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ReauthorizationRequiredError);
    expect((error as ReauthorizationRequiredError).retryable).toBe(false);
    expect((error as Error).message).toContain('invalid_client');
    const text = JSON.stringify(error, Object.getOwnPropertyNames(error)) + String((error as Error).stack);
    for (const line of rsaPem.split('\n').filter((l) => l.length > 20 && !l.startsWith('-----'))) expect(text).not.toContain(line);
  });
});

describe('options are checked when the helper is created, never quoting the key', () => {
  const base = { tokenUrl: 'https://auth.example.com/token', issuer: 'svc', audience: 'https://auth.example.com/token' };
  const hmac = 'a-shared-hmac-secret-that-is-not-a-private-key';
  it.each([
    ['a public key (PEM)', 'privateKey', { privateKey: rsa.publicKey.export({ type: 'spki', format: 'pem' }) }],
    ['a public KeyObject', 'privateKey', { privateKey: rsa.publicKey }],
    ['an HMAC secret', 'privateKey', { privateKey: hmac }],
    ['an unknown algorithm', 'algorithm', { privateKey: rsaPem, algorithm: 'HS256' }],
    ['an EC key for RS256', 'privateKey', { privateKey: ec.privateKey }],
    ['an RSA key for ES256', 'privateKey', { privateKey: rsaPem, algorithm: 'ES256' }],
    ['a lifetime over an hour', 'lifetimeSec', { privateKey: rsaPem, lifetimeSec: 3_601 }],
    ['no audience', 'audience', { privateKey: rsaPem, audience: undefined }],
  ])('jwtBearerGrant with %s: TypeError naming `%s`', (_what, option, extra) => {
    const attempt = () => oauth2.jwtBearerGrant({ ...base, ...extra } as unknown as Parameters<typeof oauth2.jwtBearerGrant>[0]);
    expect(attempt).toThrow(TypeError);
    expect(attempt).toThrow(`option \`${option}\``);
    let message = '';
    try {
      attempt();
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).not.toContain(hmac);
    expect(message).not.toContain('BEGIN');
  });

  it('private_key_jwt with a clientSecret, or without a privateKey; a privateKey without private_key_jwt: TypeErrors', () => {
    const endpoint = { tokenUrl: 'https://auth.example.com/token', clientId: 'c' };
    expect(() => oauth2.refreshTokenGrant({ ...endpoint, authMethod: 'private_key_jwt', clientSecret: 's', privateKey: rsaPem })).toThrow(
      'option `clientSecret`',
    );
    expect(() => oauth2.refreshTokenGrant({ ...endpoint, authMethod: 'private_key_jwt' })).toThrow('option `privateKey`');
    expect(() => oauth2.refreshTokenGrant({ ...endpoint, privateKey: rsaPem })).toThrow('option `privateKey`');
  });
});
