// Points on log-log axes (FLOP/s against matrix size, or against arithmetic intensity): a few
// series drawn as dots joined by lines, optional labelled points, and optional roofline ceilings
// (a bandwidth slope meeting a flat compute roof). Used by the FLOPs chapter's benchmark and roofline.
import { axisBottom, axisLeft, line, scaleLog } from 'd3';
import { axisTitles, chartSvg } from './chartSvg';

export interface LogPoint {
  x: number;
  y: number;
}

export interface LogSeries {
  name: string;
  points: readonly LogPoint[];
  /** CSS class of its line and dots (chart-line--1 ...). */
  className: string;
}

export interface LogMarker extends LogPoint {
  label: string;
  className?: string;
}

export interface LogLogChartOptions {
  width: number;
  /** Default 260. */
  height?: number;
  xLabel: string;
  yLabel: string;
  /** Tick label of an x value (default: the number). */
  xFormat?: (x: number) => string;
  yFormat?: (y: number) => string;
  /** Only these x ticks (e.g. the matrix sizes), instead of d3's. */
  xTicks?: readonly number[];
  /** Roofline: min(peak, bandwidth × x), drawn across the x domain. */
  ceiling?: { peak: number; bandwidth: number; peakLabel: string; bandwidthLabel: string };
  /** A horizontal reference line (the best measured rate). */
  reference?: { y: number; label: string };
  markers?: readonly LogMarker[];
  /** Spoken summary for the SVG's label. */
  label: string;
}

const MARGIN = { top: 14, right: 16, bottom: 40, left: 58 };

/** Powers of ten within [low, high]; with fewer than three, also 2 and 5 times them. */
function decadeTicks(low: number, high: number): number[] {
  if (!(low > 0) || !Number.isFinite(high)) return [];
  const within = (multiples: number[]) => {
    const ticks: number[] = [];
    for (let e = Math.floor(Math.log10(low)); e <= Math.ceil(Math.log10(high)); e++) {
      for (const multiple of multiples) {
        const value = multiple * 10 ** e;
        if (value >= low * 0.999 && value <= high * 1.001) ticks.push(value);
      }
    }
    return ticks;
  };
  const decades = within([1]);
  return decades.length >= 3 ? decades : within([1, 2, 5]);
}

export function logLogChart(series: readonly LogSeries[], options: LogLogChartOptions): SVGSVGElement {
  const { width, height = 260, xLabel, yLabel, xFormat = String, yFormat = String, ceiling, reference, markers = [], label } = options;
  // Only finite positive values can sit on a log axis (an unmeasurable rate is NaN).
  const usable = (value: number) => value > 0 && Number.isFinite(value);
  const xs = [...series.flatMap((s) => s.points.map((p) => p.x)), ...markers.map((m) => m.x), ...(options.xTicks ?? [])].filter(usable);
  const ys = [...series.flatMap((s) => s.points.map((p) => p.y)), ...markers.map((m) => m.y), ...(reference ? [reference.y] : [])].filter(usable);
  let [xLow, xHigh] = xs.length ? [Math.min(...xs), Math.max(...xs)] : [1, 10];
  if (ceiling) {
    const ridge = ceiling.peak / ceiling.bandwidth;
    xLow = Math.min(xLow, ridge / 10);
    xHigh = Math.max(xHigh, ridge * 10);
    ys.push(ceiling.peak, ceiling.bandwidth * xLow);
  }
  if (xHigh <= xLow) xHigh = xLow * 10;
  let [yLow, yHigh] = ys.length ? [Math.min(...ys), Math.max(...ys)] : [1, 10];
  if (yHigh <= yLow) yHigh = yLow * 10;
  const x = scaleLog().domain([xLow / 1.3, xHigh * 1.3]).range([MARGIN.left, width - MARGIN.right]);
  const y = scaleLog().domain([yLow / 2, yHigh * 2]).range([height - MARGIN.bottom, MARGIN.top]);
  const svg = chartSvg(width, height, label);
  const xAxisTicks = options.xTicks ?? decadeTicks(x.domain()[0], x.domain()[1]);
  // On a narrow chart keep every other tick so the labels do not overlap.
  const xShown = width < 420 && xAxisTicks.length > 5 ? xAxisTicks.filter((_, i) => i % 2 === 0) : xAxisTicks;
  svg
    .append('g')
    .attr('class', 'chart-axis')
    .attr('transform', `translate(0, ${height - MARGIN.bottom})`)
    .call(axisBottom(x).tickValues(xShown).tickFormat((value) => xFormat(Number(value))));
  svg
    .append('g')
    .attr('class', 'chart-axis')
    .attr('transform', `translate(${MARGIN.left}, 0)`)
    .call(axisLeft(y).tickValues(decadeTicks(y.domain()[0], y.domain()[1])).tickFormat((value) => yFormat(Number(value))));
  axisTitles(svg, { width, height }, MARGIN, { x: xLabel, y: yLabel });
  if (ceiling) {
    const [d0, d1] = x.domain();
    const ridge = ceiling.peak / ceiling.bandwidth;
    const roof = [
      { x: d0, y: ceiling.bandwidth * d0 },
      { x: Math.min(ridge, d1), y: Math.min(ceiling.peak, ceiling.bandwidth * d1) },
      { x: d1, y: Math.min(ceiling.peak, ceiling.bandwidth * d1) },
    ];
    svg.append('path').attr('class', 'chart-ceiling').attr('d', line<LogPoint>().x((p) => x(p.x)).y((p) => y(p.y))(roof));
    svg.append('text').attr('class', 'chart-value chart-ceiling-label').attr('x', width - MARGIN.right - 2).attr('y', y(ceiling.peak) - 5).attr('text-anchor', 'end').text(ceiling.peakLabel);
    const slopeAt = Math.max(d0 * 1.5, Math.min(ridge / 8, d1));
    svg
      .append('text')
      .attr('class', 'chart-value chart-ceiling-label')
      .attr('x', x(slopeAt) + 4)
      .attr('y', y(ceiling.bandwidth * slopeAt) - 6)
      .text(ceiling.bandwidthLabel);
  }
  if (reference) {
    svg.append('line').attr('class', 'chart-marker').attr('x1', MARGIN.left).attr('x2', width - MARGIN.right).attr('y1', y(reference.y)).attr('y2', y(reference.y));
    svg.append('text').attr('class', 'chart-value').attr('x', MARGIN.left + 4).attr('y', y(reference.y) - 5).text(reference.label);
  }
  const path = line<LogPoint>()
    .x((p) => x(p.x))
    .y((p) => y(p.y));
  for (const s of series) {
    const points = s.points.filter((p) => usable(p.x) && usable(p.y));
    svg.append('path').attr('class', `chart-line ${s.className}`).attr('fill', 'none').attr('d', path(points));
    svg
      .append('g')
      .selectAll('circle')
      .data(points)
      .join('circle')
      .attr('class', `chart-dot ${s.className}`)
      .attr('cx', (p) => x(p.x))
      .attr('cy', (p) => y(p.y))
      .attr('r', 3.5);
  }
  for (const marker of markers.filter((m) => usable(m.x) && usable(m.y))) {
    const g = svg.append('g').attr('class', `chart-marker-point ${marker.className ?? ''}`);
    g.append('rect')
      .attr('x', x(marker.x) - 4.5)
      .attr('y', y(marker.y) - 4.5)
      .attr('width', 9)
      .attr('height', 9);
    // the label sits above its point, running away from the nearer edge
    const right = x(marker.x) > width * 0.6;
    g.append('text')
      .attr('class', 'chart-value')
      .attr('x', x(marker.x) + (right ? 4 : -4))
      .attr('y', y(marker.y) - 9)
      .attr('text-anchor', right ? 'end' : 'start')
      .text(marker.label);
  }
  return svg.node()!;
}
