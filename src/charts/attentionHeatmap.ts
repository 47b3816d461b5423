// A grid of attention probabilities: one row per query token, one column per key token.
import './attentionHeatmap.css';
import { create } from 'd3';

export interface AttentionHeatmapData {
  /** Token labels, one per position (rows are queries, columns keys, the same tokens). */
  tokens: readonly string[];
  /** probs[query][key] in [0, 1]; a masked entry (key after query) is drawn as masked, whatever its value. */
  probs: readonly (readonly number[])[];
  /** Row drawn as selected, or -1 for none. */
  selectedRow?: number;
  /** Whether the causal mask applies (masked cells are hatched). Default true. */
  causal?: boolean;
}

export interface AttentionHeatmapOptions {
  /** Width in CSS pixels. */
  width: number;
  /** Draw token labels (off for the small multiples). Default true. */
  labels?: boolean;
  /** Largest cell side in pixels. Default 28. */
  maxCell?: number;
}

const LABEL_ROOM = 70; // left and top room for token labels

/**
 * One square cell per (query, key): its opacity is the probability (0 transparent, 1 solid accent);
 * masked cells (key after query) are a sunk grey. Cells carry data-row / data-col for hovering.
 * The SVG is role="img" with a one-line summary; the widget adds a full text table beside it.
 */
export function attentionHeatmap(data: AttentionHeatmapData, { width, labels = true, maxCell = 28 }: AttentionHeatmapOptions): SVGSVGElement {
  const n = data.tokens.length;
  const causal = data.causal ?? true;
  const room = labels ? LABEL_ROOM : 0;
  const cell = Math.max(2, Math.min(maxCell, (width - room - 2) / Math.max(1, n)));
  const side = room + cell * n;
  const svg = create('svg')
    .attr('viewBox', `0 0 ${side} ${side}`)
    .attr('width', side)
    .attr('height', side)
    .attr('class', 'attention-heatmap')
    .attr('role', 'img')
    .attr('aria-label', `Attention probabilities of ${n} query tokens (rows) over ${n} key tokens (columns)`);
  const grid = svg.append('g').attr('transform', `translate(${room},${room})`);
  for (let row = 0; row < n; row++) {
    for (let col = 0; col < n; col++) {
      const masked = causal && col > row;
      grid
        .append('rect')
        .attr('class', masked ? 'heat-cell heat-cell--masked' : 'heat-cell')
        .attr('x', col * cell)
        .attr('y', row * cell)
        .attr('width', Math.max(1, cell - (cell > 6 ? 1 : 0)))
        .attr('height', Math.max(1, cell - (cell > 6 ? 1 : 0)))
        .attr('fill-opacity', masked ? 1 : Math.max(0.03, data.probs[row]?.[col] ?? 0))
        .attr('data-row', row)
        .attr('data-col', col);
    }
  }
  if (data.selectedRow !== undefined && data.selectedRow >= 0 && data.selectedRow < n) {
    grid
      .append('rect')
      .attr('class', 'heat-selected')
      .attr('x', -1)
      .attr('y', data.selectedRow * cell - 1)
      .attr('width', cell * n + 1)
      .attr('height', cell + 1)
      .attr('fill', 'none');
  }
  if (labels) {
    const fontSize = Math.min(12, Math.max(8, cell * 0.55));
    const short = (label: string) => (label.length > 9 ? `${label.slice(0, 8)}…` : label);
    svg
      .append('g')
      .selectAll('text')
      .data(data.tokens)
      .join('text')
      .attr('class', (_, i) => (i === data.selectedRow ? 'chart-label heat-label--selected' : 'chart-label'))
      .attr('x', room - 4)
      .attr('y', (_, i) => room + i * cell + cell / 2)
      .attr('dy', '0.35em')
      .attr('text-anchor', 'end')
      .attr('font-size', fontSize)
      .text(short);
    svg
      .append('g')
      .selectAll('text')
      .data(data.tokens)
      .join('text')
      .attr('class', 'chart-label')
      .attr('transform', (_, i) => `translate(${room + i * cell + cell / 2},${room - 4}) rotate(-60)`)
      .attr('dy', '0.35em')
      .attr('font-size', fontSize)
      .text(short);
  }
  return svg.node()!;
}
