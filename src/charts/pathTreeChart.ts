// Continuations drawn as a tree, left to right: each node a token with the cumulative
// log-probability of the path up to it; paths that share a beginning share nodes.
import { create, hierarchy, tree } from 'd3';
import type { PathNode } from '../chapters/decoding';

export interface PathTreeChartOptions {
  width: number;
  /** A token's text for a node ("␣the"). */
  label(id: number): string;
  /** Paths to draw thicker, by name → CSS modifier ("beam", "greedy"). */
  highlight: Record<string, string>;
  /** Label for the root. Default "prompt". */
  rootLabel?: string;
}

const NODE_WIDTH = 72;
const NODE_HEIGHT = 30;
const ROW_GAP = 12;
/** The least horizontal space between two nodes, for the link between them. */
const COLUMN_GAP = 10;
/** Characters of a token label: 9 of an 11 px monospace font fit a node. */
const LABEL_CHARACTERS = 9;

export function pathTreeChart(root: PathNode, { width, label, highlight, rootLabel = 'prompt' }: PathTreeChartOptions): SVGSVGElement {
  const nodes = hierarchy(root, (node) => node.children);
  const depth = nodes.height;
  const leaves = nodes.leaves().length;
  // Never narrower than the nodes need: the chart is drawn at 1:1 (11 px text) and scrolls
  // sideways in its container when the tree is deeper than the width allows.
  const chartWidth = Math.max(width, NODE_WIDTH + 4 + depth * (NODE_WIDTH + COLUMN_GAP));
  const height = leaves * (NODE_HEIGHT + ROW_GAP) + ROW_GAP;
  // d3.tree lays out x across rows and y along depth; we draw depth left to right.
  // one row per leaf, evenly spaced (d3's default puts cousins twice as far apart as siblings,
  // which squeezes siblings' nodes into each other when the rows are exactly as many as the leaves)
  const layout = tree<PathNode>().separation(() => 1).size([height - NODE_HEIGHT - ROW_GAP, chartWidth - NODE_WIDTH - 4])(nodes);
  const svg = create('svg')
    .attr('viewBox', `0 0 ${chartWidth} ${height}`)
    .attr('width', chartWidth)
    .attr('height', height)
    .attr('role', 'img')
    .attr('aria-label', `Tree of ${leaves} distinct continuations over ${depth} tokens`);
  const top = NODE_HEIGHT / 2 + ROW_GAP / 2;
  const link = (node: (typeof layout)) => {
    const parent = node.parent!;
    const x0 = parent.y + NODE_WIDTH;
    const x1 = node.y;
    const mid = (x0 + x1) / 2;
    return `M${x0},${parent.x + top} C${mid},${parent.x + top} ${mid},${node.x + top} ${x1},${node.x + top}`;
  };
  const linkClass = (node: PathNode) => {
    const marked = node.paths.map((name) => highlight[name]).filter(Boolean);
    return `chart-tree-link${marked.length ? ` chart-tree-link--${marked[0]}` : ''}`;
  };
  svg
    .append('g')
    .selectAll('path')
    .data(layout.descendants().slice(1))
    .join('path')
    .attr('class', (node) => linkClass(node.data))
    .attr('d', link);
  const node = svg
    .append('g')
    .selectAll('g')
    .data(layout.descendants())
    .join('g')
    .attr('class', 'chart-tree-node')
    .attr('transform', (d) => `translate(${d.y}, ${d.x + top - NODE_HEIGHT / 2})`);
  node.append('rect').attr('width', NODE_WIDTH).attr('height', NODE_HEIGHT).attr('rx', 4);
  node
    .append('text')
    .attr('x', 6)
    .attr('y', 12)
    .text((d) => (d.data.id < 0 ? rootLabel : truncate(label(d.data.id), LABEL_CHARACTERS)));
  node
    .append('text')
    .attr('class', 'chart-tree-score')
    .attr('x', 6)
    .attr('y', 25)
    .text((d) => (d.data.id < 0 ? 'log p = 0' : `Σ ${d.data.cumulativeLogProb.toFixed(2)}`));
  node.append('title').text((d) => (d.data.id < 0 ? rootLabel : `${label(d.data.id)}: cumulative log-probability ${d.data.cumulativeLogProb.toFixed(3)}; paths: ${d.data.paths.join(', ')}`));
  return svg.node()!;
}

function truncate(text: string, length: number): string {
  return text.length > length ? `${text.slice(0, length - 1)}…` : text;
}
