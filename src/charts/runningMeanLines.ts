// The running mean of dropout outputs over many draws, as a ratio to the undropped value: every
// line starts somewhere in {0, 1/(1-p)} and settles at 1, while a dashed line at 1 - p shows where
// the mean would settle without the 1/(1-p) scaling.
import { line, scaleLinear } from 'd3';
import { chartSvg } from './chartSvg';

export interface RunningMeanOptions {
  width: number;
  /** Default 200. */
  height?: number;
  /** The dropout rate, for the "without scaling" line at 1 - p. */
  p: number;
}

const MARGIN = { top: 10, right: 12, bottom: 28, left: 40 };

/**
 * ratios[n][i] = mean of element i's output after n + 1 draws, divided by x_i.
 * The SVG has role="img" and an aria-label with the final ratios.
 */
export function runningMeanLines(ratios: readonly (readonly number[])[], { width, height = 200, p }: RunningMeanOptions): SVGSVGElement {
  const draws = ratios.length;
  const elements = ratios[0]?.length ?? 0;
  const top = Math.max(2, 1 / (1 - p)) * 1.05;
  const x = scaleLinear().domain([1, Math.max(2, draws)]).range([MARGIN.left, width - MARGIN.right]);
  const y = scaleLinear().domain([0, top]).range([height - MARGIN.bottom, MARGIN.top]);
  const last = ratios[draws - 1] ?? [];
  const svg = chartSvg(
    width,
    height,
    `Mean of the dropout output divided by the input, after ${draws} draws, for ${elements} values: ${last.map((r) => r.toFixed(2)).join(', ')}. Without the 1/(1-p) scaling it would settle at ${(1 - p).toFixed(2)}.`,
  );

  const guides: [number, string, string][] = [[1, 'rm-target', 'expected value: 1 × x']];
  if (p > 0) guides.push([1 - p, 'rm-unscaled', `without 1/(1−p): ${(1 - p).toFixed(2)} × x`]);
  for (const [value, className] of guides) {
    svg.append('line').attr('class', className).attr('x1', x.range()[0]).attr('x2', x.range()[1]).attr('y1', y(value)).attr('y2', y(value));
  }

  const path = line<number>()
    .x((_, n) => x(n + 1))
    .y((ratio) => y(Math.min(top, ratio)));
  for (let i = 0; i < elements; i++) {
    svg.append('path').attr('class', 'rm-line').attr('d', path(ratios.map((draw) => draw[i])));
  }
  // The guides' labels go on top of the lines, with a halo, so the lines never cross them.
  for (const [value, , label] of guides) {
    svg
      .append('text')
      .attr('class', 'chart-value rm-guide-label')
      .attr('x', x.range()[1])
      .attr('y', y(value) - 4)
      .attr('text-anchor', 'end')
      .text(label);
  }

  const axis = svg.append('g').attr('class', 'chart-axis');
  for (const t of y.ticks(4)) {
    axis.append('text').attr('class', 'chart-value').attr('x', MARGIN.left - 6).attr('y', y(t)).attr('dy', '0.35em').attr('text-anchor', 'end').text(t.toFixed(1));
  }
  for (const t of x.ticks(Math.max(2, Math.floor(width / 110)))) {
    axis.append('text').attr('class', 'chart-value').attr('x', x(t)).attr('y', height - 10).attr('text-anchor', 'middle').text(String(t));
  }
  axis
    .append('text')
    .attr('class', 'chart-label')
    .attr('x', (x.range()[0] + x.range()[1]) / 2)
    .attr('y', height)
    .attr('text-anchor', 'middle')
    .text('draws');
  return svg.node()!;
}
