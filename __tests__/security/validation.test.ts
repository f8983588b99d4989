/**
 * Bad options fail where they are given, as a TypeError naming the option — including values Node
 * would silently clamp (timers ≥ 2^31 ms fire after 1 ms), options behind getters that throw or a
 * revoked Proxy, lenient or placeholder encryption keys, and matcher arguments that would only
 * throw on the first response.
 */
import { randomBytes } from 'node:crypto';
import axios from 'axios';
import {
  attachTokenRefresh,
  matchers,
  MemoryTokenStore,
  oauth2,
  RedisTokenStore,
  type RedisClientLike,
  type TokenRefreshOptions,
} from '../../lib';

const refresh = async () => ({ accessToken: 'at_token' });
const instance = () => axios.create({ baseURL: 'https://api.example.com' });
const attach = (options: unknown) => () => attachTokenRefresh(instance(), options as TokenRefreshOptions);
/** RedisTokenStore validates its options before it ever talks to Redis. */
const redisStub = { call: async () => null, duplicate: () => ({}) } as unknown as RedisClientLike;

const TOO_LONG = 2 ** 31;

describe('millisecond options beyond what a Node timer can hold', () => {
  it.each([
    ['lockTtlMs', { lockTtlMs: TOO_LONG }],
    ['refreshTimeoutMs', { refreshTimeoutMs: TOO_LONG, lockTtlMs: TOO_LONG - 1 }],
    ['refreshSkewMs', { refreshSkewMs: TOO_LONG }],
    ['propagation.windowMs', { propagation: { windowMs: TOO_LONG } }],
    ['propagation.backoffMs', { propagation: { backoffMs: { initial: 1, max: TOO_LONG } } }],
  ])('%s ≥ 2^31 → TypeError naming it', (name, overrides) => {
    expect(attach({ refresh, ...overrides })).toThrow(new RegExp(`option \`${name}\` must be`));
  });

  it('the largest timer Node honours is accepted', () => {
    const handle = attachTokenRefresh(instance(), { refresh, lockTtlMs: TOO_LONG - 1, refreshTimeoutMs: TOO_LONG - 2 });
    handle.detach();
  });

  it('RedisTokenStore commandTimeoutMs ≥ 2^31 → TypeError naming it', () => {
    expect(() => new RedisTokenStore(redisStub, { commandTimeoutMs: TOO_LONG })).toThrow(/option `commandTimeoutMs` must be/);
  });
});

describe('options that cannot be read', () => {
  const throwing = (name: string) =>
    Object.defineProperty({ refresh }, name, {
      enumerable: true,
      get() {
        throw new Error('getter exploded with secret sk_live_should_not_appear');
      },
    });

  it.each(['maxReplays', 'store', 'origins', 'logger', 'propagation', 'refresh'])(
    'a getter that throws for %s → TypeError naming it, without the getter’s message',
    (name) => {
      const act = attach(throwing(name));
      expect(act).toThrow(TypeError);
      expect(act).toThrow(new RegExp(`option \`${name}\` could not be read`));
      expect(act).not.toThrow(/sk_live/);
    },
  );

  it('a revoked Proxy as the options object, or nested inside it → TypeError naming what could not be read', () => {
    const revoked = () => {
      const { proxy, revoke } = Proxy.revocable({}, {});
      revoke();
      return proxy;
    };
    expect(attach(revoked())).toThrow(/options could not be read/);
    expect(attach({ refresh, origins: revoked() })).toThrow(/option `origins` could not be read/);
    expect(attach({ refresh, store: revoked() })).toThrow(/option `store` could not be read/);
    expect(attach({ refresh, propagation: { backoffMs: revoked() } })).toThrow(/option `propagation.backoffMs` could not be read/);
  });

  it('RedisTokenStore and the oauth2 helpers read their options the same way', () => {
    const options = Object.defineProperty({}, 'prefix', {
      enumerable: true,
      get: () => {
        throw new RangeError('nope');
      },
    });
    expect(() => new RedisTokenStore(redisStub, options)).toThrow(/RedisTokenStore: option `prefix` could not be read/);
    const grant = Object.defineProperty({ tokenUrl: 'https://idp.example.com/token' }, 'clientId', {
      enumerable: true,
      get: () => {
        throw new Error('x');
      },
    });
    expect(() => oauth2.refreshTokenGrant(grant as never)).toThrow(/oauth2.refreshTokenGrant: option `clientId` could not be read/);
    const params = new Proxy(
      {},
      {
        ownKeys: () => {
          throw new Error('x');
        },
      },
    );
    expect(() =>
      oauth2.clientCredentialsGrant({ tokenUrl: 'https://idp.example.com/token', clientId: 'c', clientSecret: 's', extraParams: params }),
    ).toThrow(/option `extraParams` could not be read/);
  });

  it('an unknown oauth2 option is a TypeError (a misspelt clientSecret must not silently make a public client)', () => {
    expect(() =>
      oauth2.refreshTokenGrant({ tokenUrl: 'https://idp.example.com/token', clientId: 'c', clientSecrets: 's' } as never),
    ).toThrow(/unknown option `clientSecrets`/);
  });
});

describe('encryptionKey', () => {
  const key = randomBytes(32);
  it.each([
    ['a Buffer of 32 random bytes', key],
    ['64 hex digits', key.toString('hex')],
    ['canonical base64', key.toString('base64')],
  ])('accepts %s', (_what, encryptionKey) => {
    expect(() => new RedisTokenStore(redisStub, { encryptionKey })).not.toThrow();
  });

  it.each([
    ['base64 without its padding', key.toString('base64').slice(0, -1)],
    ['base64 with junk Node would skip', `${key.toString('base64').slice(0, 20)}!!${key.toString('base64').slice(20)}`],
    ['base64url', key.toString('base64url')],
    ['base64 with a line break', `${key.toString('base64').slice(0, 22)}\n${key.toString('base64').slice(22)}`],
    ['31 bytes', randomBytes(31)],
    ['a passphrase', 'correct horse battery staple'],
  ])('refuses %s', (_what, encryptionKey) => {
    expect(() => new RedisTokenStore(redisStub, { encryptionKey })).toThrow(/`encryptionKey` must be exactly 32 bytes/);
  });

  it('refuses an all-zero key, however it is written', () => {
    for (const encryptionKey of [Buffer.alloc(32), '0'.repeat(64), Buffer.alloc(32).toString('base64')]) {
      expect(() => new RedisTokenStore(redisStub, { encryptionKey })).toThrow(/all zeros/);
    }
  });
});

describe('matcher factories check their arguments when called, not on the first response', () => {
  it.each([
    ['header(null, …)', () => matchers.header(null as never, /x/, 'refresh')],
    ['header("", …)', () => matchers.header('', /x/, 'refresh')],
    ['header with a string pattern', () => matchers.header('WWW-Authenticate', 'invalid_token' as never, 'refresh')],
    ['header with options null', () => matchers.header('WWW-Authenticate', /x/, 'refresh', null as never)],
    ['bodyField with options null', () => matchers.bodyField('error.code', [190], 'refresh', null as never)],
    [
      'bodyField with a throwing status getter',
      () =>
        matchers.bodyField(
          'a',
          [1],
          'refresh',
          Object.defineProperty({}, 'status', {
            get: () => {
              throw new Error('x');
            },
          }),
        ),
    ],
  ])('%s → TypeError', (_what, create) => {
    expect(create).toThrow(TypeError);
    expect(create).toThrow(/axios-token-flight: matchers\./);
  });
});

it('a store whose methods are behind a throwing Proxy trap → TypeError naming `store`', () => {
  const store = new Proxy(new MemoryTokenStore(), {
    get: () => {
      throw new Error('x');
    },
  });
  expect(attach({ refresh, store })).toThrow(/option `store` could not be read/);
});
