import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { AxiosHeaders, type AxiosResponse } from 'axios';
import { matchers, type Matcher, type Verdict } from '../../lib';

interface FixtureCase {
  name: string;
  status: number;
  headers: Record<string, string>;
  body: unknown;
  verdict: Verdict | null;
}
interface Fixture {
  provider: string;
  matcher: keyof typeof matchers;
  sources: string[];
  cases: FixtureCase[];
}

const directory = path.join(__dirname, '..', 'fixtures', 'providers');
const fixtures: Fixture[] = readdirSync(directory).map((file) => JSON.parse(readFileSync(path.join(directory, file), 'utf8')) as Fixture);
const providerNames = [
  'linkedin',
  'google',
  'microsoftGraph',
  'salesforce',
  'hubspot',
  'meta',
  'slack',
  'zoom',
  'xero',
  'shopify',
  'github',
  'twitter',
] as const;

function response(c: FixtureCase, shape: 'parsed' | 'string' | 'axios-headers'): AxiosResponse {
  const headers = shape === 'axios-headers' ? new AxiosHeaders(c.headers) : c.headers;
  const data = shape === 'string' ? (typeof c.body === 'string' ? c.body : JSON.stringify(c.body)) : c.body;
  return { status: c.status, statusText: '', headers, data, config: { headers: new AxiosHeaders() } } as AxiosResponse;
}

const matcherOf = (name: (typeof providerNames)[number]): Matcher => (matchers[name] as () => Matcher)();

it('has a fixture file with sources, positives and near misses for every provider matcher', () => {
  expect(fixtures.map((f) => f.matcher).sort()).toEqual([...providerNames].sort());
  for (const fixture of fixtures) {
    expect(fixture.sources.length).toBeGreaterThan(0);
    expect(fixture.cases.some((c) => c.verdict !== null)).toBe(true);
    expect(fixture.cases.some((c) => c.verdict === null)).toBe(true);
  }
});

describe.each(fixtures.map((f) => [f.provider, f] as const))('%s fixtures', (_provider, fixture) => {
  const cases = fixture.cases.flatMap((c) =>
    (['parsed', 'string', 'axios-headers'] as const).map((shape) => [`${c.name} [${shape}]`, c, shape] as const),
  );

  it.each(cases)('%s → its own matcher gives the expected verdict', (_name, c, shape) => {
    expect(matcherOf(fixture.matcher as (typeof providerNames)[number])(response(c, shape)) ?? null).toBe(c.verdict);
  });

  it.each(cases)('%s → no other provider matcher fires', (_name, c, shape) => {
    for (const other of providerNames.filter((n) => n !== fixture.matcher)) {
      expect([other, matcherOf(other)(response(c, shape))]).toEqual([other, undefined]);
    }
  });
});

describe('every matcher tolerates any body and header shape', () => {
  const odd: unknown[] = [
    undefined,
    null,
    '',
    'not json',
    '{"broken',
    '[]',
    [],
    [null],
    0,
    true,
    Buffer.from('{"ok":false}'),
    { error: null },
    { error: 'x' },
    { errors: 'x' },
    { '*': 1 },
  ];
  it.each([...providerNames, 'unauthorized'] as const)('%s never throws', (name) => {
    const matcher = (matchers[name] as () => Matcher)();
    for (const status of [200, 400, 401, 403, 429, 500]) {
      for (const data of odd) {
        for (const headers of [
          {},
          new AxiosHeaders(),
          { 'WWW-Authenticate': ['Bearer', 'x'] } as unknown as Record<string, string>,
          null,
        ]) {
          expect(() => matcher({ status, data, headers, statusText: '', config: {} } as AxiosResponse)).not.toThrow();
        }
      }
    }
  });
});
