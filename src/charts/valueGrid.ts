// One vector as a heatmap: its values in rows of `columns` cells, positive in the accent colour,
// negative in the mark colour, opacity growing with |value| / max |value|.
import './valueGrid.css';
import { chartSvg } from './chartSvg';

export interface ValueGridOptions {
  /** Width in CSS pixels (the container's). */
  width: number;
  /** Cells per row. Default 32. */
  columns?: number;
  /** Largest cell side in pixels. Default 14. */
  maxCell?: number;
  /** What the values are, for the accessible label ("layers.0.attn.out at token 3"). */
  label: string;
}

export function valueGrid(values: ArrayLike<number>, { width, columns = 32, maxCell = 14, label }: ValueGridOptions): SVGSVGElement {
  const count = values.length;
  const perRow = Math.min(columns, Math.max(1, count));
  const rows = Math.ceil(count / perRow);
  const cell = Math.max(3, Math.min(maxCell, Math.floor(width / perRow)));
  let largest = 0;
  let low = Infinity;
  let high = -Infinity;
  for (let i = 0; i < count; i++) {
    largest = Math.max(largest, Math.abs(values[i]));
    low = Math.min(low, values[i]);
    high = Math.max(high, values[i]);
  }
  const svg = chartSvg(perRow * cell, rows * cell, `${label}: ${count} values from ${low.toFixed(3)} to ${high.toFixed(3)} as a heatmap, ${perRow} per row`);
  svg.attr('class', 'value-grid');
  for (let i = 0; i < count; i++) {
    const value = values[i];
    svg
      .append('rect')
      .attr('class', value >= 0 ? 'value-cell value-cell--positive' : 'value-cell value-cell--negative')
      .attr('x', (i % perRow) * cell)
      .attr('y', Math.floor(i / perRow) * cell)
      .attr('width', Math.max(1, cell - 1))
      .attr('height', Math.max(1, cell - 1))
      .attr('fill-opacity', largest > 0 ? Math.max(0.04, Math.abs(value) / largest) : 0.04);
  }
  return svg.node()!;
}
