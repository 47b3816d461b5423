// The next-token distribution before and after the logits processors: for each token a faint
// bar for the model's own probability, a solid bar for the renormalised probability it is drawn
// with, or the name of the processor that removed it.
import { tokenRows } from './tokenRows';
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
  const { svg, row, x: bar, band: rows } = tokenRows(data, {
    width,
    rowHeight,
    labelWidth: LABEL_WIDTH,
    valueWidth: VALUE_WIDTH,
    domainMax: Math.max(0.05, ...data.map((d) => Math.max(d.probability, d.rawProbability))),
    padding: 0.22,
    minBarWidth: 40,
  });
  row
    .attr('class', (d) => (d.removedBy ? 'chart-row chart-token-row chart-token-row--removed' : 'chart-row chart-token-row'))
    .attr('data-index', (_, i) => i)
    .attr('role', 'button')
    // No aria-label: the button's name is its visible text (token, value), as WCAG 2.5.3 asks;
    // the model's own probability is in the widget's text-alternative table.
    .attr('tabindex', 0);
  // under the label, so a click anywhere on the row hits it
  row.insert('rect', 'text').attr('class', 'chart-row-hit').attr('x', 0).attr('width', width).attr('height', rows.bandwidth());
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
