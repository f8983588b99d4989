/**
 * `npm run demo -- --otel`: each worker records axios-token-flight's OpenTelemetry metrics with the
 * SDK's own MeterProvider, and hands them to the parent, which prints the fleet's totals.
 */
import { type DataPoint, type Histogram, MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import { instrumentTokenFlight } from 'axios-token-flight/otel';

/** One metric series: a counter's sum, or a histogram's count and sum (seconds). */
export interface MetricLine {
  name: string;
  attributes: string;
  count: number;
  sum: number;
}

class OnDemandReader extends MetricReader {
  protected override onForceFlush(): Promise<void> {
    return Promise.resolve();
  }
  protected override onShutdown(): Promise<void> {
    return Promise.resolve();
  }
}

/** Starts recording in this process; `collect()` returns every token_flight series and stops. */
export function recordTokenFlightMetrics(): { collect(): Promise<MetricLine[]> } {
  const reader = new OnDemandReader();
  const meterProvider = new MeterProvider({ readers: [reader] });
  const instrumentation = instrumentTokenFlight({ meterProvider });
  return {
    async collect() {
      const { resourceMetrics } = await reader.collect();
      instrumentation.disable();
      await meterProvider.shutdown();
      return resourceMetrics.scopeMetrics.flatMap((scope) =>
        scope.metrics.flatMap((metric) =>
          (metric.dataPoints as Array<DataPoint<number | Histogram>>).map((point) => {
            const attributes = Object.entries(point.attributes)
              .map(([name, value]) => `${name.replace('token_flight.', '')}=${String(value)}`)
              .join(',');
            const histogram = typeof point.value === 'number' ? undefined : point.value;
            return {
              name: metric.descriptor.name,
              attributes,
              count: histogram === undefined ? (point.value as number) : histogram.count,
              sum: histogram === undefined ? (point.value as number) : (histogram.sum ?? 0),
            };
          }),
        ),
      );
    },
  };
}

/** Adds up the workers' series and prints them, one line each. */
export function printMetrics(perWorker: MetricLine[][]): void {
  const totals = new Map<string, MetricLine>();
  for (const line of perWorker.flat()) {
    const id = `${line.name}{${line.attributes}}`;
    const total = totals.get(id) ?? { ...line, count: 0, sum: 0 };
    total.count += line.count;
    total.sum += line.sum;
    totals.set(id, total);
  }
  console.log('\nOpenTelemetry metrics (axios-token-flight/otel), all workers:');
  for (const [id, line] of [...totals].sort(([a], [b]) => a.localeCompare(b))) {
    const histogram = line.name.endsWith('.duration');
    console.log(
      `  ${id.padEnd(78)} ${histogram ? `count ${line.count}, mean ${((line.sum / Math.max(1, line.count)) * 1000).toFixed(1)} ms` : line.count}`,
    );
  }
}
