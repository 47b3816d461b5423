// Points in a plane (a 2-D projection of embedding rows), coloured by group, a few labelled and
// one highlighted. Pure: (points, options) -> <svg>.
import './tokenScatter.css';
import { extent, scaleLinear } from 'd3';
import { chartSvg } from './chartSvg';

export interface ScatterPoint {
  x: number;
  y: number;
  /** CSS modifier of the dot's colour (tok-dot--<group>). */
  group: string;
  /** Shown next to the dot when it is labelled. */
  label: string;
  /** Drawn larger with its label (the chosen token). */
  highlight?: boolean;
  /** Drawn with its label (its neighbours). */
  labelled?: boolean;
}

const MARGIN = 14;

export function tokenScatter(points: readonly ScatterPoint[], { width, height = Math.min(360, Math.max(240, width * 0.7)), label }: { width: number; height?: number; label: string }): SVGSVGElement {
  const [x0 = -1, x1 = 1] = extent(points, (p) => p.x);
  const [y0 = -1, y1 = 1] = extent(points, (p) => p.y);
  const x = scaleLinear().domain([x0, x1]).range([MARGIN, width - MARGIN]);
  const y = scaleLinear().domain([y0, y1]).range([height - MARGIN, MARGIN]);
  const svg = chartSvg(width, height, label).attr('class', 'tok-scatter');
  svg.append('rect').attr('class', 'tok-scatter__frame').attr('x', 0.5).attr('y', 0.5).attr('width', width - 1).attr('height', height - 1);
  // Plain dots first, labelled ones on top.
  const ordered = [...points].sort((a, b) => Number(!!a.highlight || !!a.labelled) - Number(!!b.highlight || !!b.labelled));
  for (const p of ordered) {
    svg
      .append('circle')
      .attr('class', `tok-dot tok-dot--${p.group}${p.highlight ? ' tok-dot--chosen' : ''}`)
      .attr('cx', x(p.x))
      .attr('cy', y(p.y))
      .attr('r', p.highlight ? 6 : p.labelled ? 4 : 2.5);
  }
  for (const p of ordered.filter((q) => q.highlight || q.labelled)) {
    const right = x(p.x) < width - 80;
    svg
      .append('text')
      .attr('class', `tok-scatter__label${p.highlight ? ' tok-scatter__label--chosen' : ''}`)
      .attr('x', x(p.x) + (right ? 7 : -7))
      .attr('y', y(p.y) + 4)
      .attr('text-anchor', right ? 'start' : 'end')
      .text(p.label);
  }
  return svg.node()!;
}
