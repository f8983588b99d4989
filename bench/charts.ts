/** SVG charts for docs/benchmarks.md, rendered headless with Vega-Lite (no browser, no canvas). */
import { writeFileSync } from 'node:fs';
import type { TopLevelSpec } from 'vega-lite';

export interface LineChart {
  readonly title: string;
  readonly x: { field: string; title: string };
  readonly y: { field: string; title: string };
  /** Field that separates the lines (legend), if more than one. */
  readonly series?: string;
  readonly values: ReadonlyArray<Record<string, number | string>>;
  /** A horizontal goal line. */
  readonly goal?: { value: number; label: string };
}

export async function writeLineChart(file: string, chart: LineChart): Promise<void> {
  const line = {
    mark: { type: 'line', point: true },
    encoding: {
      x: { field: chart.x.field, type: 'quantitative', title: chart.x.title },
      y: { field: chart.y.field, type: 'quantitative', title: chart.y.title },
      ...(chart.series === undefined ? {} : { color: { field: chart.series, type: 'nominal', title: null } }),
    },
  };
  const goal =
    chart.goal === undefined
      ? []
      : [
          { mark: { type: 'rule', strokeDash: [4, 4], color: '#c0392b' }, encoding: { y: { datum: chart.goal.value } } },
          {
            mark: { type: 'text', align: 'left', dx: 4, dy: -6, color: '#c0392b' },
            encoding: { y: { datum: chart.goal.value }, x: { value: 0 }, text: { value: chart.goal.label } },
          },
        ];
  const spec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: chart.title,
    width: 520,
    height: 240,
    data: { values: chart.values },
    layer: [line, ...goal],
  } as unknown as TopLevelSpec;
  // ESM-only packages with top-level await: loaded dynamically from this CommonJS bench.
  const vega = await import('vega');
  const { compile } = await import('vega-lite');
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  writeFileSync(file, await view.toSVG());
  view.finalize();
}
