// How much a few tokens' probabilities move across repeated runs: one row per token, a dot per
// run, a line from the smallest to the largest value, and a tick at the mean.
import { tokenRows } from './tokenRows';

export interface TokenRuns {
  /** The token as the reader sees it, e.g. " the". */
  label: string;
  /** One probability per run, in [0, 1]. */
  values: readonly number[];
}

export interface RunSpreadOptions {
  /** Width in CSS pixels. */
  width: number;
  /** Height of one row in CSS pixels. Default 30. */
  rowHeight?: number;
}

const LABEL_WIDTH = 92;
const VALUE_WIDTH = 112; // "100.0% ± 10.0"

/** "48.1% ± 3.2": the mean and the standard deviation across runs, in percentage points. */
export function formatSpread(values: readonly number[]): string {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const std = Math.sqrt(values.reduce((sum, v) => sum + (v - mean) ** 2, 0) / values.length);
  return `${(mean * 100).toFixed(1)}% ± ${(std * 100).toFixed(1)}`;
}

/**
 * The SVG has role="img" and an aria-label with every token's mean and spread. Colours come from
 * CSS classes (.chart-track, .chart-bar, .run-dot, .run-range, .run-mean).
 */
export function runSpread(data: readonly TokenRuns[], { width, rowHeight = 30 }: RunSpreadOptions): SVGSVGElement {
  const largest = Math.max(0.05, ...data.flatMap((d) => d.values));
  const { svg, row, x, band: rows, height } = tokenRows(data, {
    width,
    rowHeight,
    labelWidth: LABEL_WIDTH,
    valueWidth: VALUE_WIDTH,
    domainMax: Math.min(1, largest * 1.08),
    padding: 0.3,
    minBarWidth: 60,
    footer: 18,
  });
  svg.attr('role', 'img').attr('aria-label', data.map((d) => `${d.label.trim() || d.label}: ${formatSpread(d.values)}`).join(', '));
  const middle = rows.bandwidth() / 2;
  row
    .append('rect')
    .attr('class', 'chart-track')
    .attr('x', x(0))
    .attr('width', x.range()[1] - x(0))
    .attr('height', rows.bandwidth())
    .attr('rx', 3);
  row
    .append('line')
    .attr('class', 'run-range')
    .attr('x1', (d) => x(Math.min(...d.values)))
    .attr('x2', (d) => x(Math.max(...d.values)))
    .attr('y1', middle)
    .attr('y2', middle);
  row
    .selectAll('circle')
    .data((d) => d.values)
    .join('circle')
    .attr('class', 'run-dot')
    .attr('cx', (v) => x(v))
    .attr('cy', middle)
    .attr('r', 4);
  row
    .append('line')
    .attr('class', 'run-mean')
    .attr('x1', (d) => x(d.values.reduce((a, b) => a + b, 0) / d.values.length))
    .attr('x2', (d) => x(d.values.reduce((a, b) => a + b, 0) / d.values.length))
    .attr('y1', 1)
    .attr('y2', rows.bandwidth() - 1);
  row
    .append('text')
    .attr('class', 'chart-value')
    .attr('x', x.range()[1] + 6)
    .attr('y', middle)
    .attr('dy', '0.35em')
    .text((d) => formatSpread(d.values));

  const ticks = x.ticks(Math.max(2, Math.floor((x.range()[1] - x.range()[0]) / 90)));
  svg
    .append('g')
    .attr('class', 'chart-axis')
    .selectAll('text')
    .data(ticks)
    .join('text')
    .attr('class', 'chart-value')
    .attr('x', (t) => x(t))
    .attr('y', height - 4)
    .attr('text-anchor', 'middle')
    .text((t) => `${Math.round(t * 100)}%`);
  return svg.node()!;
}
