// Pieces the KV-cache chapter's widgets share: a grid of cached vectors (one row per token, one
// column per dimension, colour = sign, opacity = size) and a median.
import { chartSvg } from '../src/charts/chartSvg';

/** Median of a list (0 for none). */
export function median(values: readonly number[]): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/**
 * Rows of numbers as cells: one row per cached token (labelled), one column per dimension. The
 * last row is outlined (the token just added).
 */
export function vectorGrid(rows: readonly (readonly number[])[], labels: readonly string[], { width, label }: { width: number; label: string }): SVGSVGElement {
  const labelRoom = 58;
  const columns = rows[0]?.length ?? 1;
  const cell = Math.max(2, Math.min(9, (width - labelRoom) / columns));
  const rowHeight = Math.max(3, Math.min(9, cell));
  const height = rows.length * rowHeight + 2;
  const svg = chartSvg(labelRoom + columns * cell + 2, height, label);
  const scale = Math.max(1e-9, ...rows.flat().map(Math.abs));
  rows.forEach((row, r) => {
    if (rowHeight >= 8 && (r % Math.ceil(10 / rowHeight) === 0 || r === rows.length - 1)) {
      svg.append('text').attr('class', 'kv-row-label').attr('x', labelRoom - 4).attr('y', r * rowHeight + rowHeight - 1).attr('text-anchor', 'end').text(labels[r] ?? '');
    }
    row.forEach((value, c) => {
      svg
        .append('rect')
        .attr('class', value >= 0 ? 'kv-cell--pos' : 'kv-cell--neg')
        .attr('x', labelRoom + c * cell)
        .attr('y', r * rowHeight)
        .attr('width', Math.max(1, cell - 0.5))
        .attr('height', Math.max(1, rowHeight - 0.5))
        .attr('fill-opacity', Math.max(0.04, Math.abs(value) / scale));
    });
  });
  if (rows.length > 0) {
    svg
      .append('rect')
      .attr('class', 'kv-row--new')
      .attr('x', labelRoom - 0.5)
      .attr('y', (rows.length - 1) * rowHeight - 0.5)
      .attr('width', columns * cell + 1)
      .attr('height', rowHeight + 1);
  }
  return svg.node()!;
}
