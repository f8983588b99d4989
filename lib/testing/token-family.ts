import { randomBytes } from 'node:crypto';

export interface IssuedAccessToken {
  readonly issuedAt: number;
  readonly expiresAt: number;
}

/**
 * The provider's side of one grant, as Auth0 / Okta run it with rotation on: every refresh token
 * works once; presenting a spent one is treated as theft and revokes the whole family.
 */
export class TokenFamilies {
  readonly #access = new Map<string, IssuedAccessToken>();
  /** refresh token → family id, for live refresh tokens. */
  readonly #liveRefresh = new Map<string, string>();
  /** spent refresh token → family id. */
  readonly #spentRefresh = new Map<string, string>();
  /** family id → its access tokens, to revoke them together. */
  readonly #familyAccess = new Map<string, Set<string>>();
  /** family id → the extra fields every token response of the grant carries (`instance_url`…). */
  readonly #responseFields = new Map<string, Readonly<Record<string, unknown>>>();

  constructor(private readonly rotate: () => boolean) {}

  /** Starts a family (as an authorization-code exchange would). */
  start(ttlSeconds: number, responseFields: Readonly<Record<string, unknown>> = {}): { accessToken: string; refreshToken: string } {
    const family = token('family');
    this.#responseFields.set(family, responseFields);
    return { accessToken: this.#issueAccess(family, ttlSeconds), refreshToken: this.#issueRefresh(family) };
  }

  /** A refresh_token grant: the new pair, `'reused'` (family now revoked) or `'unknown'`. */
  refresh(
    presented: string,
    ttlSeconds: number,
  ): { accessToken: string; refreshToken: string; responseFields: Readonly<Record<string, unknown>> } | 'reused' | 'unknown' {
    const family = this.#liveRefresh.get(presented);
    if (family === undefined) {
      const spentFamily = this.#spentRefresh.get(presented);
      if (spentFamily === undefined) return 'unknown';
      this.#revokeFamily(spentFamily);
      return 'reused';
    }
    let refreshToken = presented;
    if (this.rotate()) {
      this.#liveRefresh.delete(presented);
      this.#spentRefresh.set(presented, family);
      refreshToken = this.#issueRefresh(family);
    }
    return { accessToken: this.#issueAccess(family, ttlSeconds), refreshToken, responseFields: this.#responseFields.get(family) ?? {} };
  }

  /** A client_credentials grant: an access token with no family. */
  clientCredentials(ttlSeconds: number): string {
    return this.#issueAccess(token('m2m'), ttlSeconds);
  }

  accessToken(value: string): IssuedAccessToken | undefined {
    return this.#access.get(value);
  }

  /** Revokes the grant `refreshToken` belongs to (live or spent): its access and refresh tokens. */
  revokeGrant(refreshToken: string): boolean {
    const family = this.#liveRefresh.get(refreshToken) ?? this.#spentRefresh.get(refreshToken);
    if (family === undefined) return false;
    this.#revokeFamily(family);
    return true;
  }

  revokeAllAccessTokens(): void {
    this.#access.clear();
  }

  #issueAccess(family: string, ttlSeconds: number): string {
    const value = token('at');
    const now = Date.now();
    this.#access.set(value, { issuedAt: now, expiresAt: now + ttlSeconds * 1000 });
    let members = this.#familyAccess.get(family);
    if (members === undefined) {
      members = new Set();
      this.#familyAccess.set(family, members);
    }
    members.add(value);
    return value;
  }

  #issueRefresh(family: string): string {
    const value = token('rt');
    this.#liveRefresh.set(value, family);
    return value;
  }

  #revokeFamily(family: string): void {
    for (const access of this.#familyAccess.get(family) ?? []) this.#access.delete(access);
    for (const [refresh, owner] of this.#liveRefresh) if (owner === family) this.#liveRefresh.delete(refresh);
  }
}

function token(kind: string): string {
  return `${kind}_${randomBytes(12).toString('base64url')}`;
}
