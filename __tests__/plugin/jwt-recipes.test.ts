/**
 * The recipes of docs/oauth2.md run end to end: a Google service account (domain-wide delegation)
 * and Salesforce's JWT bearer flow, each against a token endpoint that verifies the assertion
 * (helpers/jwt-verifier.ts) and an API that accepts only the token it minted.
 */
import { generateKeyPairSync } from 'node:crypto';
import { googleServiceAccount } from '../../examples/recipes/google-service-account';
import { salesforceJwtBearer } from '../../examples/recipes/salesforce-jwt-bearer';
import { MemoryTokenStore } from '../../lib';
import { startApi, type TestApi } from '../helpers/api-server';
import { type JwtVerifier, startJwtVerifier } from '../helpers/jwt-verifier';
import { Cleanups } from '../helpers/setup';

const cleanups = new Cleanups();
afterEach(() => cleanups.run());
const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const privatePem = rsa.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;

async function servers(claims: { issuer: string; subject: string; audience?: string }): Promise<{ verifier: JwtVerifier; api: TestApi }> {
  const verifier = await startJwtVerifier({ publicKey: rsa.publicKey, field: 'assertion', ...claims });
  const api = await startApi((request) => (request.authorization === 'Bearer at-1' ? { body: { ok: true } } : { status: 401, body: {} }));
  cleanups.push(
    () => verifier.close(),
    () => api.close(),
  );
  return { verifier, api };
}

test('Google service account with domain-wide delegation: iss = client_email, sub = the user, aud = the token endpoint, scopes, kid', async () => {
  const email = 'reporter@project.iam.gserviceaccount.com';
  const { verifier, api } = await servers({ issuer: email, subject: 'admin@example.com' });
  const { client, handle } = googleServiceAccount({
    key: { client_email: email, private_key: privatePem, private_key_id: 'key-id-1' },
    scopes: ['https://www.googleapis.com/auth/admin.directory.user.readonly'],
    subject: 'admin@example.com',
    store: new MemoryTokenStore(),
    tokenUrl: verifier.url,
    apiUrl: api.url,
  });
  cleanups.push(() => handle.detach());

  const { status } = await client.get('/admin/directory/v1/users');

  expect(status).toBe(200);
  expect(verifier.refusals).toEqual([]);
  const [assertion] = verifier.accepted;
  expect(assertion?.header).toMatchObject({ alg: 'RS256', kid: 'key-id-1' });
  expect(assertion?.claims).toMatchObject({ iss: email, sub: 'admin@example.com', aud: verifier.url });
  expect(assertion?.form['scope']).toBe('https://www.googleapis.com/auth/admin.directory.user.readonly');
  expect(api.requests.map((request) => request.authorization)).toEqual(['Bearer at-1']);
});

test('Salesforce JWT bearer: iss = consumer key, sub = the username, aud = the login URL; the token endpoint on the login host', async () => {
  // The login URL is the verifier's origin (Salesforce's token endpoint is on the login host).
  const verifier = await startJwtVerifier({
    publicKey: rsa.publicKey,
    field: 'assertion',
    issuer: 'consumer-key',
    subject: 'api@acme.example',
    audience: (ownUrl) => new URL(ownUrl).origin,
  });
  const loginUrl = new URL(verifier.url).origin;
  const api = await startApi((request) =>
    request.authorization === 'Bearer at-1' ? { body: { records: [] } } : { status: 401, body: [{ errorCode: 'INVALID_SESSION_ID' }] },
  );
  cleanups.push(
    () => verifier.close(),
    () => api.close(),
  );
  const { client, handle } = salesforceJwtBearer({
    consumerKey: 'consumer-key',
    username: 'api@acme.example',
    privateKeyPem: privatePem,
    store: new MemoryTokenStore(),
    loginUrl,
    instanceUrl: api.url,
  });
  cleanups.push(() => handle.detach());

  const { status } = await client.get('/services/data/v62.0/query?q=SELECT+Id+FROM+Account');

  expect(status).toBe(200);
  expect(verifier.refusals).toEqual([]);
  expect(verifier.accepted[0]?.claims).toMatchObject({ iss: 'consumer-key', sub: 'api@acme.example', aud: loginUrl });
  const lifetime = Number(verifier.accepted[0]?.claims['exp']) - Number(verifier.accepted[0]?.claims['iat']);
  expect(lifetime).toBe(180);
});
