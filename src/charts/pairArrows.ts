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
  const { columns, cell, height, radius, longest } = geometry(pairs, width, minCell);
  const svg = create('svg')
    .attr('viewBox', `0 0 ${width} ${height}`)
    .attr('width', width)
    .attr('height', height)
    .attr('class', 'pair-arrows')
    .attr('role', 'img')
    .attr('aria-label', `${pairs.length} pairs of the query vector as arrows, each turned by its own angle`)
    .attr('data-geometry', geometryKey(pairs, width, minCell));
  pairs.forEach((pair, i) => {
    const cx = (i % columns) * cell + cell / 2;
    const cy = Math.floor(i / columns) * (cell + 14) + cell / 2;
    const g = svg.append('g').attr('transform', `translate(${cx},${cy})`);
    g.append('circle').attr('class', 'pair-circle').attr('r', radius);
    const [bx, by] = tip(pair.before, longest, radius);
    const [ax, ay] = tip(pair.after, longest, radius);
    g.append('line').attr('class', 'pair-before').attr('x2', bx).attr('y2', by);
    g.append('line').attr('class', 'pair-after').attr('x2', ax).attr('y2', ay);
    g.append('circle').attr('class', 'pair-tip').attr('cx', ax).attr('cy', ay).attr('r', 2.5);
    g.append('text').attr('class', 'chart-label').attr('y', radius + 12).attr('text-anchor', 'middle').attr('font-size', 10).text(`pair ${i}`);
  });
  return svg.node()!;
}

/**
 * Turns the arrows of a chart pairArrows made to new `after` pairs in place (a slider moving the
 * position or the base), without rebuilding circles and labels. Returns false (and changes
 * nothing) when the pairs before rotation, their count or the width differ: then make a new one.
 */
export function updatePairArrows(chart: SVGSVGElement, pairs: readonly RotatedPair[], { width, minCell = 64 }: PairArrowsOptions): boolean {
  if (chart.dataset.geometry !== geometryKey(pairs, width, minCell)) return false;
  const { radius, longest } = geometry(pairs, width, minCell);
  const lines = chart.querySelectorAll('line.pair-after');
  const tips = chart.querySelectorAll('circle.pair-tip');
  pairs.forEach((pair, i) => {
    const [ax, ay] = tip(pair.after, longest, radius).map(String);
    lines[i].setAttribute('x2', ax);
    lines[i].setAttribute('y2', ay);
    tips[i].setAttribute('cx', ax);
    tips[i].setAttribute('cy', ay);
  });
  return true;
}

/** What the chart drawn without the arrows after rotation depends on. */
function geometryKey(pairs: readonly RotatedPair[], width: number, minCell: number): string {
  return `${width} ${minCell} ${pairs.map((pair) => pair.before.join(' ')).join(' ')}`;
}

function geometry(pairs: readonly RotatedPair[], width: number, minCell: number) {
  const columns = Math.max(1, Math.min(pairs.length, Math.floor(width / minCell)));
  const cell = width / columns;
  const rows = Math.ceil(pairs.length / columns);
  return {
    columns,
    cell,
    height: rows * (cell + 14),
    radius: cell / 2 - 8,
    longest: Math.max(1e-9, ...pairs.map((p) => Math.hypot(...p.before))),
  };
}

/** Where a pair's arrow ends: its length relative to the longest pair, y up. */
function tip([a, b]: [number, number], longest: number, radius: number): [number, number] {
  return [(a / longest) * radius, (-b / longest) * radius];
}
