import { createHash } from 'node:crypto';
import { RedisCommandTimeoutError } from '../errors';
import type { RedisArgument, RedisEngine } from './redis-engines';

/** A Lua script with its SHA1, so the text crosses the wire only when the server does not know it yet. */
export interface RedisScript {
  readonly source: string;
  readonly sha1: string;
}

export function redisScript(source: string): RedisScript {
  return { source, sha1: createHash('sha1').update(source).digest('hex') };
}

/**
 * Commands with a deadline: an offline client queues commands until it reconnects, which may be
 * never, so every command fails after `timeoutMs` with `RedisCommandTimeoutError` instead.
 */
export class RedisCommands {
  constructor(
    private readonly engine: RedisEngine,
    private readonly timeoutMs: number,
  ) {}

  send(command: string, ...args: RedisArgument[]): Promise<unknown> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new RedisCommandTimeoutError(`Redis did not answer ${command} within ${this.timeoutMs} ms`)),
        this.timeoutMs,
      );
    });
    return Promise.race([this.engine.send(command, args), timeout]).finally(() => clearTimeout(timer));
  }

  /**
   * `EVALSHA`, and `EVAL` when the server does not have the script yet (first use, a restart, a
   * failover to a replica that never ran it, `SCRIPT FLUSH`): one round trip, two the first time.
   */
  async script(script: RedisScript, keys: readonly string[], args: readonly RedisArgument[]): Promise<unknown> {
    try {
      return await this.send('EVALSHA', script.sha1, keys.length, ...keys, ...args);
    } catch (error) {
      if (!(error instanceof Error) || !error.message.includes('NOSCRIPT')) throw error;
      return this.send('EVAL', script.source, keys.length, ...keys, ...args);
    }
  }
}
