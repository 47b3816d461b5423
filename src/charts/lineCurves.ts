// A few series of (x, y) points as lines on shared axes, y in [0, 1] by default, with a legend
// row above (the distinct-n curves of the degeneration figure).
import { axisBottom, axisLeft, line, max, scaleLinear } from 'd3';
import { axisTitles, chartSvg } from './chartSvg';

export interface Series {
  name: string;
  points: readonly { x: number; y: number }[];
  /** CSS class for the stroke (chart-line--1 ...). */
  className: string;
}

export interface LineCurvesOptions {
  width: number;
  /** Default 220. */
  height?: number;
  yDomain?: readonly [number, number];
  xLabel: string;
  yLabel: string;
}

const MARGIN = { top: 10, right: 14, bottom: 38, left: 42 };

export function lineCurves(series: readonly Series[], { width, height = 220, yDomain = [0, 1], xLabel, yLabel }: LineCurvesOptions): SVGSVGElement {
  const xMax = max(series, (s) => max(s.points, (point) => point.x)) ?? 1;
  const x = scaleLinear()
    .domain([0, xMax])
    .range([MARGIN.left, width - MARGIN.right]);
  const y = scaleLinear()
    .domain(yDomain)
    .range([height - MARGIN.bottom, MARGIN.top]);
  const svg = chartSvg(
    width,
    height,
    `${yLabel} against ${xLabel}: ${series.map((s) => `${s.name} ends at ${s.points.at(-1)?.y.toFixed(2) ?? 'no value'}`).join('; ')}`,
  );
  svg
    .append('g')
    .attr('class', 'chart-axis')
    .attr('transform', `translate(0, ${height - MARGIN.bottom})`)
    .call(axisBottom(x).ticks(Math.max(3, Math.floor(width / 80))));
  svg.append('g').attr('class', 'chart-axis').attr('transform', `translate(${MARGIN.left}, 0)`).call(axisLeft(y).ticks(5));
  axisTitles(svg, { width, height }, MARGIN, { x: xLabel, y: yLabel });
  const path = line<{ x: number; y: number }>()
    .x((point) => x(point.x))
    .y((point) => y(point.y));
  for (const s of series) svg.append('path').attr('class', `chart-line ${s.className}`).attr('d', path(s.points));
  return svg.node()!;
}
