import { AxiosHeaders, type AxiosResponse } from 'axios';
import { matchers } from '../../lib';

function response(status: number, data: unknown, headers: Record<string, string> | AxiosHeaders = {}): AxiosResponse {
  return { status, statusText: '', data, headers, config: { headers: new AxiosHeaders() } } as AxiosResponse;
}

const awkwardBodies: unknown[] = [
  undefined,
  null,
  '',
  'not json',
  '{"broken',
  [],
  [1, 2],
  42,
  true,
  Buffer.from('{}'),
  { nested: { deep: 1 } },
];

describe('matchers.unauthorized()', () => {
  const match = matchers.unauthorized();

  it('refreshes on any 401, whatever the body', () => {
    for (const body of awkwardBodies) expect(match(response(401, body))).toBe('refresh');
  });

  it('refreshes on an RFC 6750 invalid_token challenge, in AxiosHeaders or a plain object', () => {
    const challenge = 'Bearer realm="example", error="invalid_token", error_description="The access token expired"';
    expect(match(response(400, '', { 'www-authenticate': challenge }))).toBe('refresh');
    expect(match(response(400, '', new AxiosHeaders({ 'WWW-Authenticate': challenge })))).toBe('refresh');
  });

  it('leaves 403 insufficient_scope, 200, 429 and 5xx alone', () => {
    expect(match(response(403, '', { 'www-authenticate': 'Bearer error="insufficient_scope", scope="write"' }))).toBeUndefined();
    for (const status of [200, 400, 403, 404, 429, 500, 503]) {
      for (const body of awkwardBodies) expect(match(response(status, body))).toBeUndefined();
    }
  });
});

describe('matchers.linkedin()', () => {
  const match = matchers.linkedin();

  it('waits for propagation on 401 + serviceErrorCode 65601 (object or JSON string body)', () => {
    const body = {
      serviceErrorCode: 65601,
      code: 'REVOKED_ACCESS_TOKEN',
      message: 'The token used in the request has been revoked by the user',
      status: 401,
    };
    expect(match(response(401, body))).toBe('propagation');
    expect(match(response(401, JSON.stringify(body)))).toBe('propagation');
  });

  it('refreshes on 401 + 65600 (invalid) and 65602 (expired)', () => {
    expect(match(response(401, { serviceErrorCode: 65600, code: 'INVALID_ACCESS_TOKEN', status: 401 }))).toBe('refresh');
    expect(match(response(401, { serviceErrorCode: 65602, code: 'EXPIRED_ACCESS_TOKEN', status: 401 }))).toBe('refresh');
  });

  it('has no opinion on other codes, other statuses or odd bodies (the next matcher decides)', () => {
    expect(match(response(403, { serviceErrorCode: 65601 }))).toBeUndefined();
    expect(match(response(401, { serviceErrorCode: 100 }))).toBeUndefined();
    for (const body of awkwardBodies) expect(match(response(401, body))).toBeUndefined();
  });
});
