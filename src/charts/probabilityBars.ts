// A horizontal bar chart of a probability distribution over a few tokens.
import { tokenRows } from './tokenRows';

export interface TokenProbability {
  /** The token as the reader sees it, e.g. " mat". */
  label: string;
  /** In [0, 1]. */
  probability: number;
}

export interface ProbabilityBarsOptions {
  /** Width of the chart in CSS pixels (the container's width). */
  width: number;
  /** Height of one bar row in CSS pixels. Default 28. */
  rowHeight?: number;
}

const LABEL_WIDTH = 84; // room for a short token on the left
const VALUE_WIDTH = 56; // room for "100.0%" on the right

/** Format a probability as a percentage with one decimal, e.g. 0.4213 -> "42.1%". */
export function formatPercent(probability: number): string {
  return `${(probability * 100).toFixed(1)}%`;
}

/**
 * One row per token: label, a bar whose length is the probability (0 to 100% of the bar area),
 * and the percentage. The SVG has role="img" and a label listing every value, for screen readers.
 * Colours come from CSS classes (.chart-bar, .chart-track) so the chart follows the page theme.
 */
export function probabilityBars(data: readonly TokenProbability[], { width, rowHeight = 28 }: ProbabilityBarsOptions): SVGSVGElement {
  const { svg, row, x: barArea, band: rows } = tokenRows(data, {
    width, rowHeight, labelWidth: LABEL_WIDTH, valueWidth: VALUE_WIDTH, domainMax: 1, padding: 0.25, minBarWidth: 40,
  });
  svg.attr('role', 'img').attr('aria-label', data.map((d) => `${d.label.trim() || d.label}: ${formatPercent(d.probability)}`).join(', '));
  row
    .append('rect')
    .attr('class', 'chart-track')
    .attr('x', barArea(0))
    .attr('width', barArea(1) - barArea(0))
    .attr('height', rows.bandwidth())
    .attr('rx', 3);
  row
    .append('rect')
    .attr('class', 'chart-bar')
    .attr('x', barArea(0))
    .attr('width', (d) => barArea(d.probability) - barArea(0))
    .attr('height', rows.bandwidth())
    .attr('rx', 3);
  row
    .append('text')
    .attr('class', 'chart-value')
    .attr('x', barArea(1) + 6)
    .attr('y', rows.bandwidth() / 2)
    .attr('dy', '0.35em')
    .text((d) => formatPercent(d.probability));
  return svg.node()!;
}
