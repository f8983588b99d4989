/**
 * The built `axios-token-flight/otel` with the real @opentelemetry/instrumentation-http, in a child
 * process (the instrumentation patches `http` when it is loaded): a rejected request's two HTTP
 * client spans, the replay's marked `http.request.resend_count: 1` through `resendCount()`, and the
 * refresh span under the same parent as both.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';

interface ExportedSpan {
  name: string;
  kind: number;
  parent: string | undefined;
  id: string;
  attributes: Record<string, unknown>;
}

test('a replay is marked with http.request.resend_count on its HTTP client span, and the refresh span shares its parent', () => {
  const output = execFileSync(process.execPath, ['--import', 'tsx', path.join(__dirname, '..', 'fixtures', 'otel-http-child.ts')], {
    cwd: path.join(__dirname, '..', '..'),
    encoding: 'utf8',
    timeout: 30_000,
  });
  const spans = JSON.parse(output) as ExportedSpan[];
  const job = spans.find((span) => span.name === 'job');
  const clients = spans.filter((span) => span.kind === 2); // SpanKind.CLIENT
  const refresh = spans.find((span) => span.name === 'token_flight.refresh');
  expect(clients.map((span) => span.attributes['http.request.resend_count'])).toEqual([undefined, 1]);
  expect(clients.every((span) => span.parent === job?.id)).toBe(true);
  expect(refresh?.parent).toBe(job?.id);
  expect(refresh?.attributes['token_flight.outcome']).toBe('success');
});
