/**
 * A token endpoint that verifies RFC 7523 assertions with node:crypto alone — not with the library
 * that signed them: the signature (RS256, PS256, or ES256 in JOSE R‖S form), `iss`, `sub`, `aud`,
 * `exp` (at most an hour ahead), `iat`, and a `jti` never seen before (replays are refused).
 */
import { createPublicKey, type KeyObject, verify } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface VerifiedAssertion {
  readonly header: Record<string, unknown>;
  readonly claims: Record<string, unknown>;
  /** Every form field the endpoint received, assertion included. */
  readonly form: Record<string, string>;
}

export interface JwtVerifier {
  readonly url: string;
  /** Assertions accepted, in order. */
  readonly accepted: VerifiedAssertion[];
  /** Why assertions were refused, in order. */
  readonly refusals: string[];
  close(): Promise<void>;
}

export interface VerifierOptions {
  readonly publicKey: KeyObject | string;
  readonly issuer: string;
  readonly subject: string;
  /** The `aud` the endpoint requires (one of the assertion's audiences), or how to make it from its own URL. @default its own URL */
  readonly audience?: string | ((ownUrl: string) => string);
  /** Which form field carries the assertion: `assertion` (JWT bearer grant) or `client_assertion`. */
  readonly field: 'assertion' | 'client_assertion';
}

const ALGORITHMS: Record<string, { hash: string; dsaEncoding?: 'ieee-p1363'; pss?: boolean }> = {
  RS256: { hash: 'sha256' },
  PS256: { hash: 'sha256', pss: true },
  ES256: { hash: 'sha256', dsaEncoding: 'ieee-p1363' },
};

export async function startJwtVerifier(options: VerifierOptions): Promise<JwtVerifier> {
  const key = typeof options.publicKey === 'string' ? createPublicKey(options.publicKey) : options.publicKey;
  const seenJti = new Set<string>();
  let url = '';
  const accepted: VerifiedAssertion[] = [];
  const refusals: string[] = [];
  const check = (form: Record<string, string>): string | VerifiedAssertion => {
    const jwt = form[options.field];
    if (jwt === undefined) return `no ${options.field}`;
    const [encodedHeader, encodedClaims, signature] = jwt.split('.');
    if (encodedHeader === undefined || encodedClaims === undefined || signature === undefined) return 'not a JWS';
    const header = JSON.parse(Buffer.from(encodedHeader, 'base64url').toString()) as Record<string, unknown>;
    const claims = JSON.parse(Buffer.from(encodedClaims, 'base64url').toString()) as Record<string, unknown>;
    const algorithm = ALGORITHMS[String(header['alg'])];
    if (algorithm === undefined) return `alg ${String(header['alg'])}`;
    const valid = verify(
      algorithm.hash,
      Buffer.from(`${encodedHeader}.${encodedClaims}`),
      algorithm.dsaEncoding !== undefined
        ? { key, dsaEncoding: algorithm.dsaEncoding }
        : algorithm.pss === true
          ? { key, padding: 6 /* RSA_PKCS1_PSS_PADDING */, saltLength: 32 }
          : key,
      Buffer.from(signature, 'base64url'),
    );
    if (!valid) return 'bad signature';
    const now = Math.floor(Date.now() / 1000);
    const audiences = Array.isArray(claims['aud']) ? claims['aud'] : [claims['aud']];
    if (claims['iss'] !== options.issuer) return 'iss';
    if (claims['sub'] !== options.subject) return 'sub';
    const audience = typeof options.audience === 'function' ? options.audience(url) : (options.audience ?? url);
    if (!audiences.includes(audience)) return 'aud';
    if (typeof claims['exp'] !== 'number' || claims['exp'] <= now || claims['exp'] > now + 3_600) return 'exp';
    if (typeof claims['iat'] !== 'number' || claims['iat'] > now + 5) return 'iat';
    if (typeof claims['jti'] !== 'string' || claims['jti'] === '') return 'jti missing';
    if (seenJti.has(claims['jti'])) return 'jti replayed';
    seenJti.add(claims['jti']);
    return { header, claims, form };
  };
  const server = http.createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => {
      body += chunk.toString();
    });
    request.on('end', () => {
      const form = Object.fromEntries(new URLSearchParams(body));
      const outcome = check(form);
      response.setHeader('content-type', 'application/json');
      if (typeof outcome === 'string') {
        refusals.push(outcome);
        response.statusCode = 400;
        response.end(
          JSON.stringify({ error: options.field === 'assertion' ? 'invalid_grant' : 'invalid_client', error_description: outcome }),
        );
        return;
      }
      accepted.push(outcome);
      response.end(JSON.stringify({ access_token: `at-${accepted.length}`, token_type: 'Bearer', expires_in: 3600 }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  url = `http://127.0.0.1:${port}/token`;
  return {
    url,
    accepted,
    refusals,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
