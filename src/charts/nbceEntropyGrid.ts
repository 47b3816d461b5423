// NBCE step by step: one row per generated token, one column per chunk; a cell is darker the
// surer that chunk is of the next token (lower entropy), and the chunk that won the step is
// outlined. Colours come from CSS classes so the grid follows the page theme.
import './nbceEntropyGrid.css';
import { chartSvg } from './chartSvg';

export interface EntropyGridRow {
  /** The token the step chose, as the reader sees it ("␣Karl"). */
  label: string;
  /** Entropy of each chunk's next-token distribution at this step, in nats. */
  entropies: readonly number[];
  /** The chunk that was used (lowest-entropy pooling), or null (averaging uses all). */
  winner: number | null;
}

export interface EntropyGridOptions {
  /** Width in CSS pixels (the container's). */
  width: number;
  /** The entropy drawn as an empty cell; default: the largest in the data. */
  maxEntropy?: number;
}

const LABEL_WIDTH = 76;
const HEADER_HEIGHT = 18;

export function nbceEntropyGrid(rows: readonly EntropyGridRow[], { width, maxEntropy }: EntropyGridOptions): SVGSVGElement {
  const chunks = Math.max(1, ...rows.map((r) => r.entropies.length));
  const cell = Math.max(8, Math.min(30, Math.floor((width - LABEL_WIDTH) / chunks)));
  const top = maxEntropy ?? Math.max(1e-9, ...rows.flatMap((r) => r.entropies));
  const svg = chartSvg(
    LABEL_WIDTH + chunks * cell,
    HEADER_HEIGHT + rows.length * cell,
    `Entropy of each chunk at each step: ${rows.map((r, i) => `step ${i + 1} (${r.label.trim() || r.label}) ${r.winner === null ? 'averaged' : `chunk ${r.winner + 1} won`}`).join('; ')}`,
  );
  const every = cell >= 16 ? 1 : Math.ceil(16 / cell);
  for (let k = 0; k < chunks; k += every) {
    svg.append('text').attr('class', 'chart-value').attr('x', LABEL_WIDTH + (k + 0.5) * cell).attr('y', HEADER_HEIGHT - 5).attr('text-anchor', 'middle').text(k + 1);
  }
  rows.forEach((row, i) => {
    const y = HEADER_HEIGHT + i * cell;
    svg.append('text').attr('class', 'chart-label').attr('x', LABEL_WIDTH - 6).attr('y', y + cell / 2).attr('dy', '0.35em').attr('text-anchor', 'end').text(row.label.slice(0, 9));
    row.entropies.forEach((entropy, k) => {
      svg
        .append('rect')
        .attr('class', k === row.winner ? 'nbce-cell nbce-cell--winner' : 'nbce-cell')
        .attr('x', LABEL_WIDTH + k * cell + 1)
        .attr('y', y + 1)
        .attr('width', cell - 2)
        .attr('height', cell - 2)
        .attr('fill-opacity', 0.08 + 0.92 * Math.max(0, 1 - entropy / top));
    });
  });
  return svg.node()!;
}
