// The <svg> every chart starts from: sized to the container's width, scaling with its viewBox,
// and, when it is a picture rather than controls, role="img" with a label that says what it shows.
import { create, type Selection } from 'd3';

export function chartSvg(width: number, height: number, label?: string): Selection<SVGSVGElement, undefined, null, undefined> {
  const svg = create('svg').attr('viewBox', `0 0 ${width} ${height}`).attr('width', width).attr('height', height);
  if (label !== undefined) svg.attr('role', 'img').attr('aria-label', label);
  return svg;
}
