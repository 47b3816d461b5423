// A histogram: one bar per bin, bins below zero in a second colour, with the share of negative
// values written in the corner.
import { axisBottom, create, max, scaleLinear } from 'd3';

export interface Bin {
  x0: number;
  x1: number;
  count: number;
}

export interface HistogramBarsOptions {
  width: number;
  /** Default 150. */
  height?: number;
  /** Spoken name of what is counted, for the SVG's label ("gate pre-activations"). */
  label: string;
}

const MARGIN = { top: 8, right: 10, bottom: 24, left: 10 };

export function histogramBars(bins: readonly Bin[], { width, height = 150, label }: HistogramBarsOptions): SVGSVGElement {
  const x = scaleLinear()
    .domain([bins[0]?.x0 ?? 0, bins[bins.length - 1]?.x1 ?? 1])
    .range([MARGIN.left, width - MARGIN.right]);
  const y = scaleLinear()
    .domain([0, max(bins, (bin) => bin.count) || 1])
    .range([height - MARGIN.bottom, MARGIN.top]);
  const total = bins.reduce((sum, bin) => sum + bin.count, 0);
  const svg = create('svg')
    .attr('viewBox', `0 0 ${width} ${height}`)
    .attr('width', width)
    .attr('height', height)
    .attr('role', 'img')
    .attr('aria-label', `Histogram of ${total} ${label} from ${x.domain()[0].toFixed(2)} to ${x.domain()[1].toFixed(2)}`);
  svg
    .append('g')
    .selectAll('rect')
    .data(bins)
    .join('rect')
    .attr('class', (bin) => (bin.x1 <= 0 ? 'chart-hist-bar chart-hist-bar--negative' : 'chart-hist-bar'))
    .attr('x', (bin) => x(bin.x0) + 0.5)
    .attr('width', (bin) => Math.max(0, x(bin.x1) - x(bin.x0) - 1))
    .attr('y', (bin) => y(bin.count))
    .attr('height', (bin) => y(0) - y(bin.count));
  svg
    .append('g')
    .attr('class', 'chart-axis')
    .attr('transform', `translate(0, ${height - MARGIN.bottom})`)
    .call(axisBottom(x).ticks(Math.max(3, Math.floor(width / 70))));
  return svg.node()!;
}
