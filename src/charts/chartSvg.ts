// The <svg> every chart starts from: sized to the container's width, scaling with its viewBox,
// and, when it is a picture rather than controls, role="img" with a label that says what it shows.
import { create, type Selection } from 'd3';

export function chartSvg(width: number, height: number, label?: string): Selection<SVGSVGElement, undefined, null, undefined> {
  const svg = create('svg').attr('viewBox', `0 0 ${width} ${height}`).attr('width', width).attr('height', height);
  if (label !== undefined) svg.attr('role', 'img').attr('aria-label', label);
  return svg;
}

/**
 * The two axis titles of an x/y chart: the x title centred under the plot area, the y title
 * turned up the left edge, both in the chart-value style. `margin` is the chart's plot margin.
 */
export function axisTitles(
  svg: Selection<SVGSVGElement, undefined, null, undefined>,
  size: { width: number; height: number },
  margin: { top: number; right: number; bottom: number; left: number },
  titles: { x: string; y: string },
): void {
  svg
    .append('text')
    .attr('class', 'chart-value')
    .attr('x', (margin.left + size.width - margin.right) / 2)
    .attr('y', size.height - 4)
    .attr('text-anchor', 'middle')
    .text(titles.x);
  svg
    .append('text')
    .attr('class', 'chart-value')
    .attr('transform', `translate(11, ${(margin.top + size.height - margin.bottom) / 2}) rotate(-90)`)
    .attr('text-anchor', 'middle')
    .text(titles.y);
}
