import { parseArgs } from 'node:util';

export type Command = 'list' | 'show' | 'delete' | 'seed';

export interface CliArguments {
  readonly command: Command;
  /** The credential key (`show`, `delete`, `seed`). */
  readonly key: string | undefined;
  readonly redisUrl: string;
  readonly prefix: string | undefined;
  readonly match: string | undefined;
  readonly json: boolean;
}

/** A mistake in how the CLI was called: exit 2, one line. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export const USAGE = `usage: axios-token-flight <command> [options]

commands:
  list [--match <glob>]   every credential: version, expiry, refresh token, state (never a token)
  show <key>              one credential
  delete <key>            delete it fleet-wide (as handle.deleteToken): running processes drop it
  seed <key>              seed it from token JSON on stdin (as handle.setToken), e.g.
                          echo '{"accessToken":"…","refreshToken":"…","expiresIn":3600}' | axios-token-flight seed acct-42

options:
  --redis <url>    Redis URL (default: $REDIS_URL)
  --prefix <p>     the RedisTokenStore prefix (default: axios-token-flight)
  --json           machine-readable output
  --help

environment:
  AXIOS_TOKEN_FLIGHT_ENCRYPTION_KEY   the store's encryptionKey (64 hex digits or base64), if it has one`;

const COMMANDS = new Set<string>(['list', 'show', 'delete', 'seed']);

/** `undefined` when help was asked for. */
export function parseCliArguments(argv: readonly string[], env: NodeJS.ProcessEnv): CliArguments | undefined {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (error) {
    throw new UsageError((error as Error).message.split('\n')[0] ?? 'bad arguments');
  }
  const { values, positionals } = parsed;
  if (values.help === true) return undefined;
  const [command, key, ...extra] = positionals;
  if (command === undefined) throw new UsageError('no command given (list, show, delete or seed); see --help');
  if (!COMMANDS.has(command)) throw new UsageError(`unknown command "${command}" (list, show, delete or seed)`);
  const needsKey = command !== 'list';
  if (needsKey && (key === undefined || key === ''))
    throw new UsageError(`${command} needs a credential key: axios-token-flight ${command} <key>`);
  if (!needsKey && key !== undefined) throw new UsageError(`list takes no key (use --match <glob>)`);
  if (extra.length > 0) throw new UsageError(`unexpected argument "${extra[0]}"`);
  if (values.match !== undefined && command !== 'list') throw new UsageError('--match is for list only');
  const redisUrl = values.redis ?? env['REDIS_URL'];
  if (redisUrl === undefined || redisUrl === '') throw new UsageError('no Redis to talk to: pass --redis <url> or set REDIS_URL');
  if (!/^rediss?:\/\//.test(redisUrl)) throw new UsageError('--redis must be a redis:// or rediss:// URL');
  return { command: command as Command, key, redisUrl, prefix: values.prefix, match: values.match, json: values.json === true };
}

function parse(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    allowPositionals: true,
    strict: true,
    options: {
      redis: { type: 'string' },
      prefix: { type: 'string' },
      match: { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}
