import type { AxiosRequestConfig, AxiosResponse, InternalAxiosRequestConfig } from 'axios';
import type { PluginContext } from './context';

/** Node streams (incl. `form-data`) and web streams are consumed by the first send. */
export function isUnreplayableBody(data: unknown): boolean {
  if (typeof data !== 'object' || data === null) return false;
  const candidate = data as { pipe?: unknown; getReader?: unknown };
  return typeof candidate.pipe === 'function' || typeof candidate.getReader === 'function';
}

/** `config.data` was already serialised by the first send. */
const passThrough = [(data: unknown): unknown => data];

/**
 * Sends the request again through the same instance, so every other interceptor (axios-retry
 * included) sees the replay, and ours injects the current token. Custom `transformRequest`
 * already ran once and must not run again.
 */
export function replay(context: PluginContext, config: InternalAxiosRequestConfig): Promise<AxiosResponse> {
  const replayConfig: AxiosRequestConfig = { ...config, transformRequest: passThrough };
  return context.instance.request(replayConfig);
}
