// Horizontal stacked bars: one bar per row, its parts side by side in order, an optional limit line
// (a device's memory). (rows, { width, ... }) -> SVG, like every chart here.
import { axisBottom, max, scaleBand, scaleLinear } from 'd3';
import './stackedBars.css';
import { chartSvg } from './chartSvg';

export interface StackedBarRow {
  label: string;
  /** one value per part, in the order of `partClasses` */
  parts: readonly number[];
}

export interface StackedBarsOptions {
  width: number;
  /** CSS class of each part's rectangles */
  partClasses: readonly string[];
  /** the x axis title */
  xLabel: string;
  /** tick labels of the x axis */
  format: (value: number) => string;
  /** a vertical line at this value, with its label */
  limit?: { value: number; label: string };
  /** the chart's accessible name */
  label: string;
}

const BAR = 22;

export function stackedBars(rows: readonly StackedBarRow[], { width, partClasses, xLabel, format, limit, label }: StackedBarsOptions): SVGSVGElement {
  // room for the longest row label (about 0.6 em per character of the 12 px chart font)
  const labelWidth = Math.min(width * 0.45, 16 + 7.5 * Math.max(0, ...rows.map((row) => row.label.length)));
  const margin = { top: 8, right: 16, bottom: 40, left: labelWidth };
  const height = margin.top + margin.bottom + rows.length * (BAR + 8);
  const totals = rows.map((row) => row.parts.reduce((a, b) => a + b, 0));
  const high = Math.max(max(totals) ?? 1, limit?.value ?? 0) * 1.04 || 1;
  const x = scaleLinear().domain([0, high]).range([margin.left, width - margin.right]);
  const y = scaleBand<number>()
    .domain(rows.map((_, i) => i))
    .range([margin.top, height - margin.bottom])
    .padding(0.25);
  const svg = chartSvg(width, height, label);
  svg
    .append('g')
    .attr('class', 'chart-axis')
    .attr('transform', `translate(0,${height - margin.bottom})`)
    .call(axisBottom(x).ticks(Math.max(2, Math.floor((width - margin.left) / 70))).tickFormat((value) => format(Number(value))));
  svg.append('text').attr('class', 'chart-label').attr('x', width - margin.right).attr('y', height - 4).attr('text-anchor', 'end').text(xLabel);
  rows.forEach((row, i) => {
    const top = y(i)!;
    svg.append('text').attr('class', 'chart-label').attr('x', margin.left - 6).attr('y', top + y.bandwidth() / 2).attr('dy', '0.35em').attr('text-anchor', 'end').text(row.label);
    let start = 0;
    row.parts.forEach((value, p) => {
      svg
        .append('rect')
        .attr('class', partClasses[p])
        .attr('x', x(start))
        .attr('y', top)
        .attr('width', Math.max(0, x(start + value) - x(start)))
        .attr('height', y.bandwidth());
      start += value;
    });
  });
  if (limit) {
    svg.append('line').attr('class', 'chart-limit').attr('x1', x(limit.value)).attr('x2', x(limit.value)).attr('y1', margin.top).attr('y2', height - margin.bottom);
    svg.append('text').attr('class', 'chart-label').attr('x', x(limit.value) + 3).attr('y', margin.top + 8).text(limit.label);
  }
  return svg.node()!;
}
