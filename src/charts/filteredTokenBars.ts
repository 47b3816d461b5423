// The next-token distribution before and after the logits processors: for each token a faint
// bar for the model's own probability, a solid bar for the renormalised probability it is drawn
// with, or the name of the processor that removed it.
import { create, scaleBand, scaleLinear } from 'd3';
import { formatPercent } from './probabilityBars';

export interface FilteredToken {
  label: string;
  /** softmax of the raw logits. */
  rawProbability: number;
  /** softmax after the processors (0 when removed). */
  probability: number;
  /** The processor that removed it ("top-k"), or null. */
  removedBy: string | null;
}

export interface FilteredTokenBarsOptions {
  width: number;
  /** Default 30. */
  rowHeight?: number;
}

const LABEL_WIDTH = 92;
const VALUE_WIDTH = 118;

/**
 * One row per token (a <g> with class "chart-token-row", data-index, role="button" and
 * tabindex 0, so the widget can make rows clickable from mouse and keyboard).
 */
export function filteredTokenBars(data: readonly FilteredToken[], { width, rowHeight = 30 }: FilteredTokenBarsOptions): SVGSVGElement {
  const height = data.length * rowHeight;
  const bar = scaleLinear()
    .domain([0, Math.max(0.05, ...data.map((d) => Math.max(d.probability, d.rawProbability)))])
    .range([LABEL_WIDTH, Math.max(LABEL_WIDTH + 40, width - VALUE_WIDTH)]);
  const rows = scaleBand<number>()
    .domain(data.map((_, i) => i))
    .range([0, height])
    .paddingInner(0.22);
  const svg = create('svg').attr('viewBox', `0 0 ${width} ${height}`).attr('width', width).attr('height', height);
  const row = svg
    .selectAll('g')
    .data(data)
    .join('g')
    .attr('class', (d) => (d.removedBy ? 'chart-token-row chart-token-row--removed' : 'chart-token-row'))
    .attr('data-index', (_, i) => i)
    .attr('transform', (_, i) => `translate(0, ${rows(i)})`)
    .attr('role', 'button')
    // No aria-label: the button's name is its visible text (token, value), as WCAG 2.5.3 asks;
    // the model's own probability is in the widget's text-alternative table.
    .attr('tabindex', 0);
  row.append('rect').attr('class', 'chart-row-hit').attr('x', 0).attr('width', width).attr('height', rows.bandwidth());
  row
    .append('text')
    .attr('class', 'chart-label')
    .attr('x', LABEL_WIDTH - 8)
    .attr('y', rows.bandwidth() / 2)
    .attr('dy', '0.35em')
    .attr('text-anchor', 'end')
    .text((d) => d.label);
  row
    .append('rect')
    .attr('class', 'chart-raw-bar')
    .attr('x', bar(0))
    .attr('width', (d) => bar(d.rawProbability) - bar(0))
    .attr('height', rows.bandwidth())
    .attr('rx', 3);
  row
    .append('rect')
    .attr('class', 'chart-bar')
    .attr('x', bar(0))
    .attr('y', rows.bandwidth() * 0.2)
    .attr('width', (d) => bar(d.probability) - bar(0))
    .attr('height', rows.bandwidth() * 0.6)
    .attr('rx', 2);
  row
    .append('text')
    .attr('class', (d) => (d.removedBy ? 'chart-value chart-value--removed' : 'chart-value'))
    .attr('x', (d) => Math.max(bar(d.probability), bar(d.rawProbability)) + 6)
    .attr('y', rows.bandwidth() / 2)
    .attr('dy', '0.35em')
    .text(valueText);
  return svg.node()!;
}

/** What a row shows on the right: the renormalised probability, or which processor cut it. */
function valueText(d: FilteredToken): string {
  return d.removedBy ? `cut: ${d.removedBy}` : formatPercent(d.probability);
}
