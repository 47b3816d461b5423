// The frame shared by the charts with one row per token (probabilityBars, filteredTokenBars,
// runSpread): an SVG of the given width, a band per row, the token's label right-aligned in a
// left margin, and a linear x scale for the bars between that margin and a right margin kept for
// the value text.
import { scaleBand, scaleLinear, type ScaleBand, type ScaleLinear, type Selection } from 'd3';
import { chartSvg } from './chartSvg';

export interface TokenRowsLayout {
  /** Width of the chart in CSS pixels (the container's width). */
  width: number;
  /** Height of one row in CSS pixels. */
  rowHeight: number;
  /** Left margin for the label, and right margin for the value text. */
  labelWidth: number;
  valueWidth: number;
  /** The x scale's domain is [0, domainMax]. */
  domainMax: number;
  /** Gap between rows, as a fraction of a row (d3 scaleBand paddingInner). */
  padding: number;
  /** Narrowest bar area, for very small widths. */
  minBarWidth: number;
  /** Extra height below the rows (an axis). Default 0. */
  footer?: number;
}

export interface TokenRows<D> {
  svg: Selection<SVGSVGElement, undefined, null, undefined>;
  /** One <g> per datum, translated to its band; the label is already in it. */
  row: Selection<SVGGElement, D, SVGSVGElement, undefined>;
  x: ScaleLinear<number, number>;
  band: ScaleBand<number>;
  height: number;
}

export function tokenRows<D extends { label: string }>(data: readonly D[], layout: TokenRowsLayout): TokenRows<D> {
  const { width, rowHeight, labelWidth, valueWidth, domainMax, padding, minBarWidth, footer = 0 } = layout;
  const height = data.length * rowHeight + footer;
  const x = scaleLinear()
    .domain([0, domainMax])
    .range([labelWidth, Math.max(labelWidth + minBarWidth, width - valueWidth)]);
  const band = scaleBand<number>()
    .domain(data.map((_, i) => i))
    .range([0, height - footer])
    .paddingInner(padding);
  const svg = chartSvg(width, height);
  const row = svg
    .selectAll<SVGGElement, D>('g.chart-row')
    .data(data)
    .join('g')
    .attr('class', 'chart-row')
    .attr('transform', (_, i) => `translate(0, ${band(i)})`);
  row
    .append('text')
    .attr('class', 'chart-label')
    .attr('x', labelWidth - 8)
    .attr('y', band.bandwidth() / 2)
    .attr('dy', '0.35em')
    .attr('text-anchor', 'end')
    .text((d) => d.label);
  return { svg, row, x, band, height };
}
