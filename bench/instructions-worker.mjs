// One variant (V=bare|floor|plugin|plugin-otel) making N requests through an adapter that answers at once (no
// I/O), for bench/instructions.sh to count under callgrind. The floor is what any token plugin pays:
// a synchronous interceptor that writes a header, and a response interceptor.
import axios from 'axios';
import { attachTokenRefresh, MemoryTokenStore } from 'axios-token-flight';

const answer = async (config) => ({ data: '{"ok":true}', status: 200, statusText: 'OK', headers: {}, config, request: {} });
const client = axios.create({ baseURL: 'https://api.example.com', adapter: answer });
const variant = process.env.V;
if (variant === 'floor') {
  client.interceptors.request.use(
    (config) => {
      config.headers.set('Authorization', 'Bearer bench');
      return config;
    },
    undefined,
    { synchronous: true },
  );
  client.interceptors.response.use(
    (response) => response,
    (error) => Promise.reject(error),
  );
}
if (variant === 'plugin-otel') {
  // The OpenTelemetry SDK recording every span and metric the plugin makes: a cached token makes none.
  const { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } = await import('@opentelemetry/sdk-trace-base');
  const { MeterProvider, PeriodicExportingMetricReader, InMemoryMetricExporter, AggregationTemporality } = await import(
    '@opentelemetry/sdk-metrics'
  );
  const { instrumentTokenFlight } = await import('axios-token-flight/otel');
  instrumentTokenFlight({
    tracerProvider: new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(new InMemorySpanExporter())] }),
    meterProvider: new MeterProvider({
      readers: [
        new PeriodicExportingMetricReader({
          exporter: new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE),
          exportIntervalMillis: 60_000,
        }),
      ],
    }),
  });
}
const handle =
  variant === 'plugin' || variant === 'plugin-otel'
    ? attachTokenRefresh(client, { store: new MemoryTokenStore(), refresh: async () => ({ accessToken: 'bench', expiresIn: 3600 }) })
    : undefined;
for (let i = 0; i < Number(process.env.N); i++) await client.get('/r');
handle?.detach();
