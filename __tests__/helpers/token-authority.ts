import type { RefreshContext, TokenInput } from '../../lib';
import type { Handler, Reply } from './api-server';

export interface AuthorityOptions {
  /** Lifetime of issued tokens, seconds. */
  readonly expiresIn?: number;
  /** Time the refresh takes, ms. */
  readonly latencyMs?: number;
  /**
   * Answer each refresh with a new refresh token (rotation) — the default — or with none, so the
   * caller keeps the one it has (providers that do not rotate: Google, LinkedIn…).
   */
  readonly rotatesRefreshTokens?: boolean;
}

/**
 * The provider's side of a test: which access tokens it accepts, and a `refresh` function
 * (as a user would write one) that mints a new token each call and counts the calls.
 */
export class TokenAuthority {
  readonly accepted = new Set<string>();
  readonly contexts: RefreshContext[] = [];
  #counter = 0;
  /** Set to make the next refreshes fail. */
  failWith: Error | undefined;

  constructor(private readonly options: AuthorityOptions = {}) {}

  get refreshCount(): number {
    return this.contexts.length;
  }

  /** Mints a token the API accepts, as if issued by an earlier process. */
  issue(): string {
    this.#counter += 1;
    const token = `access-${this.#counter}-${Math.random().toString(36).slice(2)}`;
    this.accepted.add(token);
    return token;
  }

  revokeAll(): void {
    this.accepted.clear();
  }

  readonly refresh = async (context: RefreshContext): Promise<TokenInput> => {
    this.contexts.push(context);
    if (this.options.latencyMs !== undefined) await new Promise((resolve) => setTimeout(resolve, this.options.latencyMs));
    if (this.failWith !== undefined) throw this.failWith;
    const accessToken = this.issue();
    const expiresIn = this.options.expiresIn ?? 3600;
    return this.options.rotatesRefreshTokens === false
      ? { accessToken, expiresIn }
      : { accessToken, refreshToken: `refresh-${this.#counter}`, expiresIn };
  };

  /** An API handler: 200 for accepted tokens, 401 otherwise (or `rejection` when given). */
  handler(rejection: Reply = { status: 401, body: { message: 'Unauthorized' } }): Handler {
    return (request) => {
      const token = request.authorization?.replace(/^Bearer /, '');
      return token !== undefined && this.accepted.has(token) ? { body: { ok: true, path: request.path } } : rejection;
    };
  }
}

export function bearer(token: string): string {
  return `Bearer ${token}`;
}
