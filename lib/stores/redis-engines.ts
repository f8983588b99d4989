/**
 * The two Redis clients of Node — ioredis and node-redis (`redis`) — behind the three things the
 * store needs: send a command, listen on a channel, and list the nodes to SCAN. Detected by shape,
 * so this package imports neither client; the store above speaks one dialect for both, which is
 * why a fleet can mix them (same keys, scripts and notices).
 */

export type RedisArgument = string | number | Buffer;

/** What the store needs from an ioredis client: `Redis` or `Cluster`, ioredis 5 or 6, RESP2 or RESP3. */
export interface RedisClientLike {
  call(command: string, ...args: RedisArgument[]): Promise<unknown>;
  duplicate(): RedisSubscriberLike;
}

/** The ioredis connection notices are read on (`duplicate()` of the client). */
export interface RedisSubscriberLike {
  subscribe(...channels: string[]): Promise<unknown>;
  on(event: 'message', listener: (channel: string, message: string) => void): unknown;
  on(event: 'error', listener: (error: Error) => void): unknown;
  disconnect(): void;
}

/** The node-redis connection notices are read on (`duplicate()` of the client, cluster or sentinel). */
export interface NodeRedisSubscriberLike {
  connect(): Promise<unknown>;
  subscribe(channel: string, listener: (message: string, channel: string) => void): Promise<unknown>;
  on(event: 'error', listener: (error: Error) => void): unknown;
  /** redis 5, 6 (`disconnect` is its deprecated name there, and the only one in redis 4). */
  destroy?(): unknown;
  disconnect?(): Promise<unknown>;
}

/** node-redis `createClient()` (redis 4, 5, 6), connected. */
export interface NodeRedisClientLike {
  sendCommand(args: string[]): Promise<unknown>;
  duplicate(): NodeRedisSubscriberLike;
}

/** node-redis `createCluster()` (redis 4, 5, 6), connected. */
export interface NodeRedisClusterLike {
  sendCommand(firstKey: string | undefined, isReadonly: boolean | undefined, args: string[]): Promise<unknown>;
  duplicate(): NodeRedisSubscriberLike;
  readonly masters: ReadonlyArray<unknown>;
  nodeClient(node: unknown): NodeRedisClientLike | Promise<NodeRedisClientLike>;
}

/**
 * node-redis `createSentinel()` (redis 5, 6), connected. It keeps a pub/sub connection of its own to
 * whichever node is master, so notices are read on that one (redis 5 cannot duplicate a sentinel).
 */
export interface NodeRedisSentinelLike {
  sendCommand(isReadonly: boolean | undefined, args: string[]): Promise<unknown>;
  subscribe(channel: string, listener: (message: string | Buffer, channel: string | Buffer) => void): Promise<unknown>;
  unsubscribe(channel: string, listener: (message: string | Buffer, channel: string | Buffer) => void): Promise<unknown>;
  getMasterNode(): unknown;
}

/** Every client `RedisTokenStore` accepts. */
export type RedisTokenStoreClient = RedisClientLike | NodeRedisClientLike | NodeRedisClusterLike | NodeRedisSentinelLike;

/** Sends one command to whichever node holds its key. */
export type SendCommand = (command: string, args: readonly RedisArgument[]) => Promise<unknown>;

export interface RedisEngine {
  readonly send: SendCommand;
  /** One sender per node to SCAN: the client itself, or each master of a Cluster. */
  scanTargets(): Promise<SendCommand[]>;
  /** Opens a connection of its own that hands every message on `channel` to `onMessage`; returns its closer. */
  listen(channel: string, onMessage: (message: string) => void): () => void;
}

const isFunction = (value: unknown): value is (...args: never[]) => unknown => typeof value === 'function';

/** The engine for `client`, or a `TypeError` naming what is accepted. */
export function engineFor(client: unknown): RedisEngine {
  const shape = (typeof client === 'object' && client !== null ? client : {}) as Record<string, unknown>;
  if (isFunction(shape['call']) && isFunction(shape['duplicate'])) return ioredisEngine(client as RedisClientLike);
  if (isFunction(shape['sendCommand']) && isFunction(shape['getMasterNode']) && isFunction(shape['subscribe'])) {
    return sentinelEngine(client as NodeRedisSentinelLike);
  }
  if (isFunction(shape['sendCommand']) && isFunction(shape['duplicate'])) {
    if (isFunction(shape['nodeClient'])) return clusterEngine(client as NodeRedisClusterLike);
    return nodeRedisEngine(client as NodeRedisClientLike);
  }
  throw new TypeError(
    'axios-token-flight: RedisTokenStore expects an ioredis Redis or Cluster, or a node-redis client (createClient, createCluster or createSentinel)',
  );
}

function ioredisEngine(client: RedisClientLike): RedisEngine {
  const send: SendCommand = (command, args) => client.call(command, ...args);
  const cluster = client as { nodes?: (role: string) => RedisClientLike[] };
  return {
    send,
    scanTargets: async () =>
      typeof cluster.nodes === 'function' ? cluster.nodes('master').map((node) => (command, args) => node.call(command, ...args)) : [send],
    listen(channel, onMessage) {
      const subscriber = client.duplicate();
      // Notices are hints: a lost one costs a poll, so connection errors are not worth surfacing
      // (the command path reports outages), but an 'error' event without a listener would crash.
      subscriber.on('error', () => undefined);
      // Only our channel: this connection is ours and subscribes to nothing else.
      subscriber.on('message', (_channel, message) => onMessage(message));
      subscriber.subscribe(channel).catch(() => undefined);
      return () => subscriber.disconnect();
    },
  };
}

/** node-redis takes strings (or Buffers) only. */
const strings = (command: string, args: readonly RedisArgument[]): string[] => [
  command,
  ...args.map((arg) => (Buffer.isBuffer(arg) ? arg.toString() : String(arg))),
];

function nodeRedisEngine(client: NodeRedisClientLike): RedisEngine {
  const send: SendCommand = (command, args) => client.sendCommand(strings(command, args));
  return { send, scanTargets: async () => [send], listen: (channel, onMessage) => listenOn(client.duplicate(), channel, onMessage) };
}

function clusterEngine(cluster: NodeRedisClusterLike): RedisEngine {
  return {
    // Never from a replica: a read there may miss the last refresh.
    send: (command, args) => cluster.sendCommand(firstKey(command, args), false, strings(command, args)),
    scanTargets: () =>
      Promise.all(
        cluster.masters.map(async (master) => {
          const node = await cluster.nodeClient(master);
          return (command: string, args: readonly RedisArgument[]) => node.sendCommand(strings(command, args));
        }),
      ),
    listen: (channel, onMessage) => listenOn(cluster.duplicate(), channel, onMessage),
  };
}

function sentinelEngine(sentinel: NodeRedisSentinelLike): RedisEngine {
  // Always the master (isReadonly false): after a failover the client follows the new one.
  const send: SendCommand = (command, args) => sentinel.sendCommand(false, strings(command, args));
  return {
    send,
    scanTargets: async () => [send],
    listen(channel, onMessage) {
      const listener = (message: string | Buffer): void => onMessage(String(message));
      // Hints only: a subscription that fails costs polls, never a request.
      sentinel.subscribe(channel, listener).catch(() => undefined);
      return () => void sentinel.unsubscribe(channel, listener).catch(() => undefined);
    },
  };
}

/** The key a command routes by on a Cluster (every key of one script shares its hash tag). */
function firstKey(command: string, args: readonly RedisArgument[]): string | undefined {
  if (command === 'EVAL' || command === 'EVALSHA') return Number(args[1]) > 0 ? String(args[2]) : undefined;
  if (command === 'PUBLISH') return undefined;
  return args[0] === undefined ? undefined : String(args[0]);
}

function listenOn(subscriber: NodeRedisSubscriberLike, channel: string, onMessage: (message: string) => void): () => void {
  let closed = false;
  const close = (): void => {
    try {
      const done = isFunction(subscriber.destroy) ? subscriber.destroy() : subscriber.disconnect?.();
      // A connection still opening (or already gone) may refuse; nothing is left to close then.
      Promise.resolve(done).catch(() => undefined);
    } catch {
      // node-redis 4 throws when the connection is not open
    }
  };
  // As with ioredis: hints only, but an unhandled 'error' event would crash the process.
  subscriber.on('error', () => undefined);
  subscriber
    .connect()
    .then(() => (closed ? close() : subscriber.subscribe(channel, (message) => onMessage(message))))
    .catch(() => undefined);
  return () => {
    if (closed) return;
    closed = true;
    close();
  };
}
