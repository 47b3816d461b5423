// Lines over an integer axis (position, offset): a few named series, an optional marker line.
import './lineChart.css';
import { axisBottom, axisLeft, create, extent, line, scaleLinear } from 'd3';

export interface LineSeries {
  name: string;
  /** y value at x = xStart + index; NaN leaves a gap. */
  values: readonly number[];
  /** CSS class of the line (its colour and dash come from the stylesheet). */
  className: string;
}

export interface LineChartOptions {
  width: number;
  /** Default 220. */
  height?: number;
  /** x of the first value. Default 0. */
  xStart?: number;
  xLabel: string;
  yLabel: string;
  /** A vertical marker, e.g. the end of the training context. */
  marker?: { x: number; label: string };
}

const MARGIN = { top: 24, right: 12, bottom: 38, left: 48 };

/** One path per series, axes with labels, a legend row; role="img" with the series names. */
export function lineChart(series: readonly LineSeries[], { width, height = 220, xStart = 0, xLabel, yLabel, marker }: LineChartOptions): SVGSVGElement {
  const longest = Math.max(1, ...series.map((s) => s.values.length));
  const x = scaleLinear().domain([xStart, xStart + longest - 1]).range([MARGIN.left, width - MARGIN.right]);
  const all = series.flatMap((s) => s.values.filter(Number.isFinite));
  const [low = 0, high = 1] = extent(all);
  const pad = (high - low) * 0.08 || 1;
  const y = scaleLinear().domain([low - pad, high + pad]).nice().range([height - MARGIN.bottom, MARGIN.top]);
  const svg = create('svg')
    .attr('viewBox', `0 0 ${width} ${height}`)
    .attr('width', width)
    .attr('height', height)
    .attr('class', 'line-chart')
    .attr('role', 'img')
    .attr('aria-label', `${yLabel} by ${xLabel}: ${series.map((s) => s.name).join(', ')}`);
  svg.append('g').attr('class', 'chart-axis').attr('transform', `translate(0,${height - MARGIN.bottom})`).call(axisBottom(x).ticks(Math.max(2, Math.floor(width / 80))));
  svg.append('g').attr('class', 'chart-axis').attr('transform', `translate(${MARGIN.left},0)`).call(axisLeft(y).ticks(5));
  svg.append('text').attr('class', 'chart-label').attr('x', width - MARGIN.right).attr('y', height - 4).attr('text-anchor', 'end').text(xLabel);
  svg.append('text').attr('class', 'chart-label').attr('x', 4).attr('y', MARGIN.top - 10).text(yLabel);
  if (marker) {
    svg.append('line').attr('class', 'chart-marker').attr('x1', x(marker.x)).attr('x2', x(marker.x)).attr('y1', MARGIN.top).attr('y2', height - MARGIN.bottom);
    svg.append('text').attr('class', 'chart-label').attr('x', x(marker.x) + 4).attr('y', MARGIN.top + 10).text(marker.label);
  }
  const path = line<number>()
    .defined(Number.isFinite)
    .x((_, i) => x(xStart + i))
    .y((value) => y(value));
  for (const s of series) svg.append('path').attr('class', `chart-line ${s.className}`).attr('fill', 'none').attr('d', path(s.values as number[]));
  return svg.node()!;
}
