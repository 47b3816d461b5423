// Loss against density for several sparse attention patterns (the sparse attention chapter): one
// line with dots per pattern, points joined in order of density, a dashed level for full attention.
import { axisBottom, axisLeft, line, max, scaleLinear } from 'd3';
import { axisTitles, chartSvg } from './chartSvg';

export interface DensityLossPoint {
  density: number;
  loss: number;
  /** drawn larger and outlined: the reader's current setting */
  current?: boolean;
}

export interface DensityLossSeries {
  name: string;
  points: readonly DensityLossPoint[];
  /** suffix of the classes sp-line--<key> (the line) and sp-dot--<key> (its dots) */
  key: string;
}

export interface DensityLossChartOptions {
  width: number;
  /** Default 240. */
  height?: number;
  /** The loss with every causal pair (density 1). */
  fullLoss: number;
}

const MARGIN = { top: 12, right: 14, bottom: 40, left: 46 };

export function densityLossChart(series: readonly DensityLossSeries[], { width, height = 240, fullLoss }: DensityLossChartOptions): SVGSVGElement {
  const x = scaleLinear().domain([0, 1]).range([MARGIN.left, width - MARGIN.right]);
  const top = Math.max(fullLoss, max(series, (s) => max(s.points, (p) => p.loss)) ?? fullLoss);
  const y = scaleLinear().domain([0, top * 1.08]).nice().range([height - MARGIN.bottom, MARGIN.top]);
  const described = series.filter((s) => s.points.length > 0).map((s) => `${s.name}: ${s.points.map((p) => `${(100 * p.density).toFixed(0)}% → ${p.loss.toFixed(2)}`).join(', ')}`);
  const svg = chartSvg(width, height, `Loss (nats per token) against density. Full attention ${fullLoss.toFixed(3)}. ${described.join('; ')}`);
  svg.append('g').attr('class', 'chart-axis').attr('transform', `translate(0, ${height - MARGIN.bottom})`).call(axisBottom(x).ticks(Math.max(3, Math.floor(width / 90)), '.0%'));
  svg.append('g').attr('class', 'chart-axis').attr('transform', `translate(${MARGIN.left}, 0)`).call(axisLeft(y).ticks(5));
  axisTitles(svg, { width, height }, MARGIN, { x: 'density: share of the causal pairs kept', y: 'loss (nats per token)' });
  svg.append('line').attr('class', 'chart-marker').attr('x1', x(0)).attr('x2', x(1)).attr('y1', y(fullLoss)).attr('y2', y(fullLoss));
  svg.append('text').attr('class', 'chart-label').attr('x', x(0) + 4).attr('y', y(fullLoss) - 4).text(`full attention ${fullLoss.toFixed(3)}`);
  const path = line<DensityLossPoint>()
    .x((p) => x(p.density))
    .y((p) => y(p.loss));
  for (const s of series) {
    const sorted = [...s.points].sort((a, b) => a.density - b.density);
    if (sorted.length > 1) svg.append('path').attr('class', `chart-line sp-line--${s.key}`).attr('fill', 'none').attr('d', path(sorted));
    for (const p of sorted) {
      svg
        .append('circle')
        .attr('class', `sp-dot sp-dot--${s.key}${p.current ? ' sp-dot--current' : ''}`)
        .attr('cx', x(p.density))
        .attr('cy', y(p.loss))
        .attr('r', p.current ? 5 : 3);
    }
  }
  return svg.node()!;
}
