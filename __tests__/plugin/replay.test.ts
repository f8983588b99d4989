import { Readable } from 'node:stream';
import axios, { type AxiosResponse } from 'axios';
import FormData from 'form-data';
import { MatcherError, ReplayLimitError, UnreplayableRequestError, type Matcher } from '../../lib';
import { closeAll, harness, seedAccepted, seedRejected, sleep } from '../helpers/setup';
import { bearer } from '../helpers/token-authority';

const hasFetchAdapter = Number(axios.VERSION.split('.')[1]) >= 7;

afterEach(closeAll);

describe('replay', () => {
  it('ends a token that is rejected forever in ReplayLimitError after 1 + maxReplays sends, with bounded refreshes', async () => {
    const h = await harness({ maxReplays: 2 });
    h.api.handle(() => ({ status: 401, body: { message: 'nope' } }));
    await seedAccepted(h);

    const error = await h.client.get('/x').catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ReplayLimitError);
    expect((error as ReplayLimitError).retryable).toBe(false);
    expect(h.api.requests).toHaveLength(3);
    expect(h.authority.refreshCount).toBe(2);
    expect(new Set(h.api.requests.map((r) => r.authorization)).size).toBe(3); // each send had a newer token
  });

  it('sends exactly once and refreshes nothing with maxReplays: 0', async () => {
    const h = await harness({ maxReplays: 0 });
    await seedRejected(h);

    await expect(h.client.get('/x')).rejects.toBeInstanceOf(ReplayLimitError);
    expect(h.api.requests).toHaveLength(1);
    expect(h.authority.refreshCount).toBe(0);
  });

  it('replays the same body and does not run a custom transformRequest twice', async () => {
    const h = await harness();
    await seedRejected(h);
    let transforms = 0;
    const wrap = (data: unknown): string => {
      transforms += 1;
      return JSON.stringify({ envelope: data });
    };

    const response = await h.client.post(
      '/events',
      { id: 7 },
      { transformRequest: [wrap], headers: { 'content-type': 'application/json' } },
    );

    expect(response.status).toBe(200);
    expect(transforms).toBe(1);
    expect(h.api.requests.map((r) => r.body)).toEqual(['{"envelope":{"id":7}}', '{"envelope":{"id":7}}']);
  });

  it('refuses to replay a stream body with UnreplayableRequestError instead of sending it empty, but still refreshes', async () => {
    const h = await harness();
    await seedRejected(h);

    const error = await h.client.post('/upload', Readable.from(['chunk-1', 'chunk-2'])).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(UnreplayableRequestError);
    expect((error as Error).message).toMatch(
      /request body is a stream that was consumed by the first send; send the request again with a new stream/,
    );
    expect(h.api.requests).toHaveLength(1);
    expect(h.api.requests[0]?.body).toBe('chunk-1chunk-2');
    await sleep(20);
    expect(h.authority.refreshCount).toBe(1); // the caller's own retry will carry a good token
    await expect(h.client.post('/upload', Readable.from(['again']))).resolves.toMatchObject({ status: 200 });
  });

  it('refuses to replay a form-data stream', async () => {
    const h = await harness();
    await seedRejected(h);
    const form = new FormData();
    form.append('file', Buffer.from('hello'), 'hello.txt');

    await expect(h.client.post('/upload', form, { headers: form.getHeaders() })).rejects.toBeInstanceOf(UnreplayableRequestError);
    expect(h.api.requests).toHaveLength(1);
  });

  // axios < 1.7 has no fetch adapter, and its http adapter cannot send a web stream.
  (hasFetchAdapter ? it : it.skip)('refuses to replay a web ReadableStream body too (fetch adapter)', async () => {
    const h = await harness();
    await seedRejected(h);
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('web-chunk'));
        controller.close();
      },
    });

    const error = await h.client
      .post('/upload', body, { adapter: 'fetch', headers: { 'content-type': 'application/octet-stream' } })
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(UnreplayableRequestError);
    expect(h.api.requests).toHaveLength(1);
  });

  it.each([
    ['a null body', null, ''],
    ['a Buffer body', Buffer.from('raw-bytes'), 'raw-bytes'],
  ])('replays a request with %s (only streams are consumed by a send)', async (_case, data, received) => {
    const h = await harness();
    await seedRejected(h);

    const response = await h.client.post('/events', data, { headers: { 'content-type': 'application/octet-stream' } });

    expect(response.status).toBe(200);
    expect(h.api.requests.map((r) => r.body)).toEqual([received, received]);
  });

  it('classifies fulfilled responses too: a Slack-style HTTP 200 ok:false is refreshed and replayed', async () => {
    const slackLike: Matcher = (response) => {
      const data = response.data as { ok?: boolean; error?: string } | undefined;
      return response.status === 200 && data?.ok === false && data.error === 'invalid_auth' ? 'refresh' : undefined;
    };
    const h = await harness({ matchers: [slackLike] });
    h.api.handle((request) =>
      h.authority.accepted.has(request.authorization?.slice(7) ?? '')
        ? { body: { ok: true } }
        : { status: 200, body: { ok: false, error: 'invalid_auth' } },
    );
    await seedRejected(h);

    const response = await h.client.post('/api/chat.postMessage', { text: 'hi' });

    expect(response.data).toEqual({ ok: true });
    expect(h.authority.refreshCount).toBe(1);
    expect(h.api.requests).toHaveLength(2);
  });

  it('classifies a 401 resolved as fulfilled because of a permissive validateStatus', async () => {
    const h = await harness();
    await seedRejected(h);

    const response = await h.client.get('/x', { validateStatus: () => true });

    expect(response.status).toBe(200);
    expect(h.authority.refreshCount).toBe(1);
  });

  it('reports a matcher that throws as MatcherError instead of swallowing it', async () => {
    const broken: Matcher = function broken(response: AxiosResponse) {
      return (response.data as { missing: { deep: 'refresh' } }).missing.deep;
    };
    const h = await harness({ matchers: [broken] });
    await seedAccepted(h);

    const error = await h.client.get('/x').catch((e: unknown) => e);

    expect(error).toBeInstanceOf(MatcherError);
    expect((error as Error).message).toMatch(/matcher #0 \(broken\)/);
  });

  it('aborting one caller while it waits for a refresh rejects only that caller; the refresh and the others carry on', async () => {
    const h = await harness({}, { latencyMs: 300 });
    await seedRejected(h);
    const controller = new AbortController();

    const waiting = h.client.get('/a', { signal: controller.signal });
    const other = h.client.get('/b');
    await sleep(60);
    controller.abort();

    const aborted = await waiting.catch((e: unknown) => e);
    expect(axios.isCancel(aborted)).toBe(true);
    await expect(other).resolves.toMatchObject({ status: 200 });
    expect(h.authority.refreshCount).toBe(1);
    expect(h.authority.contexts[0]?.signal.aborted).toBe(false);
    expect(h.api.requests.filter((r) => r.path === '/a')).toHaveLength(1); // never replayed
  });

  it('sends the replay through the other interceptors of the instance', async () => {
    const h = await harness();
    await seedRejected(h);
    const seen: string[] = [];
    h.client.interceptors.request.use((config) => {
      seen.push(String(config.headers.get('Authorization')));
      return config;
    });

    await h.client.get('/x');

    expect(seen).toHaveLength(2);
    expect(h.api.requests.map((r) => r.authorization)).toEqual([
      bearer('revoked-access-token'),
      bearer([...h.authority.accepted][0] as string),
    ]);
  });
});
