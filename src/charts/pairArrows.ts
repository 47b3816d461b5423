// RoPE's pairs as arrows: one small circle per pair, the arrow at its angle after rotation.
import './pairArrows.css';
import { create } from 'd3';

export interface RotatedPair {
  /** The pair before rotation (position 0). */
  before: [number, number];
  /** The pair after rotation by position * theta. */
  after: [number, number];
  /** theta_i, radians per position */
  theta: number;
}

export interface PairArrowsOptions {
  width: number;
  /** Smallest circle diameter in pixels. Default 64. */
  minCell?: number;
}

/**
 * A grid of circles, pair 0 first. Each arrow's length is the pair's length relative to the
 * longest pair; the dashed arrow is the pair at position 0, the solid one after rotation.
 */
export function pairArrows(pairs: readonly RotatedPair[], { width, minCell = 64 }: PairArrowsOptions): SVGSVGElement {
  const columns = Math.max(1, Math.min(pairs.length, Math.floor(width / minCell)));
  const cell = width / columns;
  const rows = Math.ceil(pairs.length / columns);
  const height = rows * (cell + 14);
  const radius = cell / 2 - 8;
  const longest = Math.max(1e-9, ...pairs.map((p) => Math.hypot(...p.before)));
  const svg = create('svg')
    .attr('viewBox', `0 0 ${width} ${height}`)
    .attr('width', width)
    .attr('height', height)
    .attr('class', 'pair-arrows')
    .attr('role', 'img')
    .attr('aria-label', `${pairs.length} pairs of the query vector as arrows, each turned by its own angle`);
  pairs.forEach((pair, i) => {
    const cx = (i % columns) * cell + cell / 2;
    const cy = Math.floor(i / columns) * (cell + 14) + cell / 2;
    const g = svg.append('g').attr('transform', `translate(${cx},${cy})`);
    g.append('circle').attr('class', 'pair-circle').attr('r', radius);
    const tip = ([a, b]: [number, number]) => [(a / longest) * radius, (-b / longest) * radius]; // y up
    const [bx, by] = tip(pair.before);
    const [ax, ay] = tip(pair.after);
    g.append('line').attr('class', 'pair-before').attr('x2', bx).attr('y2', by);
    g.append('line').attr('class', 'pair-after').attr('x2', ax).attr('y2', ay);
    g.append('circle').attr('class', 'pair-tip').attr('cx', ax).attr('cy', ay).attr('r', 2.5);
    g.append('text').attr('class', 'chart-label').attr('y', radius + 12).attr('text-anchor', 'middle').attr('font-size', 10).text(`pair ${i}`);
  });
  return svg.node()!;
}
