// Several functions of x drawn on one pair of axes, with an optional marked point and a
// read-out line at one x (the activation explorer of the Swish / SiLU chapter).
import { axisBottom, axisLeft, line, scaleLinear, select } from 'd3';
import { chartSvg } from './chartSvg';

export interface Curve {
  /** Shown in the legend, e.g. "swish β=1". */
  name: string;
  /** Samples [x, y] in increasing x. */
  points: readonly (readonly [number, number])[];
  /** CSS class for the stroke (chart-curve--1 ... chart-curve--4). */
  className: string;
  /** Draw dashed (a derivative). */
  dashed?: boolean;
}

export interface FunctionCurvesOptions {
  width: number;
  /** Default: 0.62 × width, clamped to [220, 380]. */
  height?: number;
  xDomain: readonly [number, number];
  yDomain: readonly [number, number];
  /** A point to mark (a minimum), with its label. */
  marker?: { x: number; y: number; label: string };
  /** Draw a vertical read-out line here, with a dot on every curve at this x. */
  readoutX?: number;
}

const MARGIN = { top: 12, right: 12, bottom: 26, left: 36 };

/** The x scale the chart uses at this width (the widget maps pointer positions with it). */
export function curvesXScale(width: number, xDomain: readonly [number, number]) {
  return scaleLinear()
    .domain(xDomain)
    .range([MARGIN.left, width - MARGIN.right]);
}

/** Linear interpolation of a sampled curve at x (null outside its samples). */
export function valueAt(points: Curve['points'], x: number): number | null {
  for (let i = 1; i < points.length; i++) {
    const [x0, y0] = points[i - 1];
    const [x1, y1] = points[i];
    if (x >= x0 && x <= x1) return x1 === x0 ? y0 : y0 + ((y1 - y0) * (x - x0)) / (x1 - x0);
  }
  return null;
}

/** The chart's height for these options. */
function chartHeight(options: FunctionCurvesOptions): number {
  return options.height ?? Math.round(Math.min(380, Math.max(220, options.width * 0.62)));
}

function scales(options: FunctionCurvesOptions) {
  const height = chartHeight(options);
  const x = curvesXScale(options.width, options.xDomain);
  const y = scaleLinear()
    .domain(options.yDomain)
    .range([height - MARGIN.bottom, MARGIN.top]);
  return { height, x, y };
}

const label = (curves: readonly Curve[], xDomain: readonly [number, number]) =>
  `Curves of ${curves.map((curve) => curve.name).join(', ')} for x from ${xDomain[0]} to ${xDomain[1]}`;

export function functionCurves(curves: readonly Curve[], options: FunctionCurvesOptions): SVGSVGElement {
  const { width, xDomain, yDomain } = options;
  const { height, x, y } = scales(options);
  const svg = chartSvg(width, height, label(curves, xDomain));

  const ticks = Math.max(3, Math.floor(width / 70));
  svg
    .append('g')
    .attr('class', 'chart-axis')
    .attr('transform', `translate(0, ${height - MARGIN.bottom})`)
    .call(axisBottom(x).ticks(ticks));
  svg.append('g').attr('class', 'chart-axis').attr('transform', `translate(${MARGIN.left}, 0)`).call(axisLeft(y).ticks(5));
  // The axes through the origin, lighter than the frame.
  svg.append('line').attr('class', 'chart-zero').attr('x1', x(xDomain[0])).attr('x2', x(xDomain[1])).attr('y1', y(0)).attr('y2', y(0));
  svg.append('line').attr('class', 'chart-zero').attr('x1', x(0)).attr('x2', x(0)).attr('y1', y(yDomain[0])).attr('y2', y(yDomain[1]));

  const clipId = `curves-clip-${Math.random().toString(36).slice(2, 8)}`;
  svg
    .append('clipPath')
    .attr('id', clipId)
    .append('rect')
    .attr('x', MARGIN.left)
    .attr('y', MARGIN.top)
    .attr('width', width - MARGIN.left - MARGIN.right)
    .attr('height', height - MARGIN.top - MARGIN.bottom);
  const layer = svg.append('g').attr('class', 'chart-curves').attr('data-clip', clipId).attr('data-geometry', geometryKey(options));
  drawCurves(layer.node()!, curves, options);
  return svg.node()!;
}

/** What fixes the axes: a redraw in place needs the same. */
function geometryKey(options: FunctionCurvesOptions): string {
  return [chartHeight(options), options.width, ...options.xDomain, ...options.yDomain].join(' ');
}

/**
 * Redraws what changes with the data (curves, marker, read-out) into a chart functionCurves made,
 * keeping its axes, so a slider does not rebuild and re-lay-out the tick labels. Returns false
 * (and changes nothing) when the size or domains differ from the chart's: then make a new one.
 */
export function redrawFunctionCurves(chart: SVGSVGElement, curves: readonly Curve[], options: FunctionCurvesOptions): boolean {
  const layer = chart.querySelector<SVGGElement>(':scope > g.chart-curves');
  if (!layer || layer.dataset.geometry !== geometryKey(options)) return false;
  chart.setAttribute('aria-label', label(curves, options.xDomain));
  layer.replaceChildren();
  drawCurves(layer, curves, options);
  return true;
}

/** The curves (clipped to the plot), the marker and the read-out, into `layer`. */
function drawCurves(layer: SVGGElement, curves: readonly Curve[], options: FunctionCurvesOptions): void {
  const { yDomain, marker, readoutX } = options;
  const { height, x, y } = scales(options);
  const group = select(layer);
  const path = line<readonly [number, number]>()
    .x((point) => x(point[0]))
    .y((point) => y(point[1]));
  const plot = group.append('g').attr('clip-path', `url(#${layer.dataset.clip})`);
  for (const curve of curves) {
    plot
      .append('path')
      .attr('class', `chart-curve ${curve.className}`)
      .attr('fill', 'none')
      .attr('stroke-dasharray', curve.dashed ? '5 4' : null)
      .attr('d', path(curve.points));
  }

  if (marker) {
    plot.append('circle').attr('class', 'chart-marker').attr('cx', x(marker.x)).attr('cy', y(marker.y)).attr('r', 4.5);
    group
      .append('text')
      .attr('class', 'chart-value')
      .attr('x', x(marker.x))
      .attr('y', Math.min(height - MARGIN.bottom - 4, y(marker.y) + 18))
      .attr('text-anchor', 'middle')
      .text(marker.label);
  }

  if (readoutX !== undefined) {
    const rx = x(readoutX);
    group.append('line').attr('class', 'chart-readout').attr('x1', rx).attr('x2', rx).attr('y1', MARGIN.top).attr('y2', height - MARGIN.bottom);
    for (const curve of curves) {
      const value = valueAt(curve.points, readoutX);
      if (value === null || value < yDomain[0] || value > yDomain[1]) continue;
      group.append('circle').attr('class', `chart-dot ${curve.className}`).attr('cx', rx).attr('cy', y(value)).attr('r', 3.5);
    }
  }
}
