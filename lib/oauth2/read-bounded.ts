/**
 * Reads a token endpoint's answer, counting bytes as they arrive: no adapter is trusted to enforce
 * a size limit (axios' `maxContentLength` is missing from the fetch adapter of several minors, and
 * a user's `httpClient` may use any adapter). Asked for with `responseType: 'stream'`, the body is a
 * Node `Readable` (http adapter) or a web `ReadableStream` (fetch); both are async iterables.
 * A custom adapter may still hand back text, bytes or an object: measured after the fact.
 */
export class ResponseTooLargeError extends Error {
  constructor(readonly limit: number) {
    super(`response body exceeds ${limit} bytes`);
    this.name = 'ResponseTooLargeError';
  }
}

export async function readBounded(body: unknown, limit: number, declaredLength: unknown): Promise<string> {
  if (isAsyncIterable(body)) {
    if (Number(declaredLength) > limit) {
      await discard(body);
      throw new ResponseTooLargeError(limit);
    }
    const chunks: Buffer[] = [];
    let size = 0;
    // Leaving the loop early (throw) ends the iterator, which destroys or cancels the stream.
    for await (const chunk of body) {
      const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk as Uint8Array);
      size += bytes.length;
      if (size > limit) throw new ResponseTooLargeError(limit);
      chunks.push(bytes);
    }
    return Buffer.concat(chunks).toString('utf8');
  }
  const text =
    typeof body === 'string'
      ? body
      : ArrayBuffer.isView(body)
        ? Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8')
        : body === undefined || body === null
          ? ''
          : typeof body === 'object'
            ? JSON.stringify(body)
            : String(body);
  if (Buffer.byteLength(text) > limit) throw new ResponseTooLargeError(limit);
  return text;
}

function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { [Symbol.asyncIterator]?: unknown })[Symbol.asyncIterator] === 'function'
  );
}

/** Ends a body we will not read: a Node stream is destroyed, a web stream cancelled. */
async function discard(body: AsyncIterable<unknown>): Promise<void> {
  const stream = body as { destroy?: () => void; cancel?: () => Promise<void> };
  if (typeof stream.destroy === 'function') stream.destroy();
  else if (typeof stream.cancel === 'function') await stream.cancel().catch(() => undefined);
}
