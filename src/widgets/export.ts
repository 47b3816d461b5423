// "Export" on every widget (the kit's shell, src/widgets/mount.ts): the figure's chart as a
// standalone SVG (every computed style written onto its elements, so it draws the same outside the
// page, on a background of the widget's own colour), the same rasterised to PNG, the widget's state
// as JSON, and a permalink that opens the figure in that state. Everything is made in the page from
// what is on screen: no request leaves it. Downloads are links (a[download]); where a sandboxed
// frame refuses downloads (an embed), the panel still shows the PNG, the JSON and the link to copy.
import exportCss from './export.css?url';
import '../embed/embedButton.css'; // the code fields, as under the Embed button
import { embedUrl } from '../embed/snippets';
import { writeState, type StateSchema } from './state';
import { kitStrings } from './strings';
import { loadStylesheet } from './styles';

loadStylesheet(exportCss);

type Settings = Record<string, string | number | boolean>;

/** The computed properties that decide how an SVG element draws; written inline on the export. */
export const SVG_STYLE_PROPERTIES = [
  'display',
  'visibility',
  'opacity',
  'fill',
  'fill-opacity',
  'fill-rule',
  'stroke',
  'stroke-width',
  'stroke-opacity',
  'stroke-dasharray',
  'stroke-dashoffset',
  'stroke-linecap',
  'stroke-linejoin',
  'paint-order',
  'color',
  'font-family',
  'font-size',
  'font-weight',
  'font-style',
  'letter-spacing',
  'text-anchor',
  'dominant-baseline',
  'text-decoration',
  'white-space',
] as const;

/** Of SVG_STYLE_PROPERTIES, those an element does not inherit, with the value that draws as if unset. */
const NOT_INHERITED: Record<string, (value: string) => boolean> = {
  display: (value) => value === 'inline' || value === 'block',
  opacity: (value) => value === '1',
  'text-decoration': (value) => value.startsWith('none'),
};

/**
 * Whether writing `property: value` on an element of the export changes nothing: an inherited
 * property equal to its parent's (which the export writes), or a non-inherited one at its default.
 * Leaving these out keeps a heatmap of hundreds of cells to a few kilobytes of style.
 */
function isRedundant(property: string, value: string, parent: CSSStyleDeclaration): boolean {
  const unset = NOT_INHERITED[property];
  return unset ? unset(value) : parent.getPropertyValue(property) === value;
}

/** The settings of `state` that differ from `defaults`: what a link must carry. */
export function changedSettings(state: Settings, defaults: Settings): Settings {
  return Object.fromEntries(Object.entries(state).filter(([name, value]) => defaults[name] !== value));
}

export interface PermalinkInput {
  /** The page's address now. */
  href: string;
  name: string;
  id: string;
  schema: StateSchema;
  state: Settings;
  /** The chapter's defaults for this widget (schema defaults under its `state` prop). */
  defaults: Settings;
  /** A widget whose state lives in the page's URL (a chapter page); otherwise the link is its embed page. */
  inPageUrl: boolean;
}

/**
 * The link that opens this figure in `state`: on a chapter page, the page's own address with the
 * widget's settings (`?<id>.<setting>=`, as the kit writes them, no fragment); elsewhere (an embed,
 * a slide, an exercise) the widget's embed page with the settings that differ from its schema's
 * defaults (`/embed/<name>/?<setting>=`).
 */
export function permalink({ href, name, id, schema, state, defaults, inPageUrl }: PermalinkInput): string {
  const url = new URL(href);
  if (inPageUrl) {
    url.hash = '';
    writeState(url, id, schema, state as never, defaults as never);
    return url.href;
  }
  const schemaDefaults = Object.fromEntries(Object.entries(schema).map(([setting, declared]) => [setting, declared.default]));
  return embedUrl(url.origin, name, changedSettings(state, schemaDefaults));
}

/** The state file: which widget, and every setting. */
export function stateJson(name: string, state: Settings, link: string): string {
  return `${JSON.stringify({ widget: name, state, permalink: link }, null, 2)}\n`;
}

/** The chart of a figure: its largest <svg> on screen (axes and marks, not an icon), or null. */
export function chartSvg(stage: HTMLElement): SVGSVGElement | null {
  let best: SVGSVGElement | null = null;
  let bestArea = 0;
  for (const svg of stage.querySelectorAll<SVGSVGElement>('svg')) {
    if (svg.parentElement?.closest('svg')) continue; // nested: part of a larger chart
    const { width, height } = svg.getBoundingClientRect();
    if (width * height > bestArea) {
      best = svg;
      bestArea = width * height;
    }
  }
  return best;
}

/** A background colour that paints something (the first of the element and its ancestors). */
function backgroundOf(element: Element): string {
  for (let node: Element | null = element; node; node = node.parentElement) {
    const colour = getComputedStyle(node).backgroundColor;
    if (colour && colour !== 'transparent' && !/rgba\(.*,\s*0\)$/.test(colour)) return colour;
  }
  return '#ffffff';
}

/**
 * `svg` as a standalone SVG document: a copy with every element's computed style written onto it,
 * explicit width and height, and a background rectangle of the widget's colour (so a dark-theme
 * figure stays readable on a white slide). Returns the text and its size in CSS pixels.
 */
export function standaloneSvg(svg: SVGSVGElement, background = backgroundOf(svg)): { text: string; width: number; height: number } {
  const box = svg.getBoundingClientRect();
  const width = Math.max(1, Math.round(box.width));
  const height = Math.max(1, Math.round(box.height));
  const copy = svg.cloneNode(true) as SVGSVGElement;
  const originals = [svg, ...svg.querySelectorAll('*')];
  const copies = [copy, ...copy.querySelectorAll('*')];
  originals.forEach((original, i) => {
    const target = copies[i] as SVGElement;
    const computed = getComputedStyle(original);
    const parent = i === 0 ? null : getComputedStyle(original.parentElement!);
    // style through the CSSOM, which the Content-Security-Policy allows (a style="" string it would not)
    for (const property of SVG_STYLE_PROPERTIES) {
      const value = computed.getPropertyValue(property);
      if (!value || (parent && isRedundant(property, value, parent))) continue;
      target.style.setProperty(property, value);
    }
    target.removeAttribute('class');
  });
  copy.setAttribute('xmlns', 'http://www.w3.org/2000/svg');
  copy.setAttribute('width', String(width));
  copy.setAttribute('height', String(height));
  if (!copy.getAttribute('viewBox')) copy.setAttribute('viewBox', `0 0 ${width} ${height}`);
  const [x, y, w, h] = copy.getAttribute('viewBox')!.split(/[\s,]+/).map(Number);
  const paper = document.createElementNS('http://www.w3.org/2000/svg', 'rect');
  for (const [name, value] of Object.entries({ x, y, width: w, height: h })) paper.setAttribute(name, String(value));
  paper.setAttribute('fill', background);
  copy.prepend(paper);
  const text = `<?xml version="1.0" encoding="UTF-8"?>\n${new XMLSerializer().serializeToString(copy)}\n`;
  return { text, width, height };
}

/** The SVG drawn onto a canvas at `scale` times its size, as a PNG. */
export async function svgToPng(svg: { text: string; width: number; height: number }, scale = 2): Promise<Blob> {
  const url = URL.createObjectURL(new Blob([svg.text], { type: 'image/svg+xml' }));
  try {
    const image = new Image();
    image.src = url;
    await image.decode();
    const canvas = document.createElement('canvas');
    canvas.width = Math.round(svg.width * scale);
    canvas.height = Math.round(svg.height * scale);
    const context = canvas.getContext('2d')!;
    context.scale(scale, scale);
    context.drawImage(image, 0, 0, svg.width, svg.height);
    return await new Promise<Blob>((resolve, reject) => canvas.toBlob((blob) => (blob ? resolve(blob) : reject(new Error('the canvas gave no image'))), 'image/png'));
  } finally {
    URL.revokeObjectURL(url);
  }
}

export interface ExportTarget {
  root: HTMLElement;
  stage: HTMLElement;
  name: string;
  state: Settings;
  link: string;
}

function download(label: string, blob: Blob, fileName: string, urls: string[]): HTMLAnchorElement {
  const url = URL.createObjectURL(blob);
  urls.push(url);
  const link = document.createElement('a');
  link.className = 'widget__export-file';
  link.href = url;
  link.download = fileName;
  link.textContent = label;
  link.dataset.exportFile = fileName.slice(fileName.lastIndexOf('.') + 1);
  return link;
}

/**
 * Open the export panel of a figure (after its title), made from the figure as drawn now; returns
 * a function that closes it and frees its files.
 */
export async function openExportPanel(target: ExportTarget, place: (panel: HTMLElement) => void): Promise<() => void> {
  const urls: string[] = [];
  const panel = document.createElement('div');
  panel.className = 'widget__export-panel';
  panel.dataset.exportPanel = '';
  const said = document.createElement('p');
  said.setAttribute('role', 'status');
  const files = document.createElement('p');
  files.className = 'widget__export-files';
  panel.append(said, files);
  place(panel);

  const stateText = stateJson(target.name, target.state, target.link);
  const svg = chartSvg(target.stage);
  const links: HTMLElement[] = [];
  let preview: HTMLImageElement | null = null;
  if (svg) {
    const drawn = standaloneSvg(svg);
    links.push(download('SVG', new Blob([drawn.text], { type: 'image/svg+xml' }), `${target.name}.svg`, urls));
    try {
      const png = await svgToPng(drawn);
      const pngLink = download('PNG', png, `${target.name}.png`, urls);
      links.push(pngLink);
      preview = document.createElement('img');
      preview.className = 'widget__export-preview';
      preview.src = pngLink.href;
      preview.alt = kitStrings.exportPanel.preview(drawn.width * 2, drawn.height * 2);
    } catch (error) {
      said.textContent = kitStrings.exportPanel.pngFailed(error instanceof Error ? error.message : String(error));
    }
  }
  links.push(download('State (JSON)', new Blob([stateText], { type: 'application/json' }), `${target.name}.json`, urls));
  files.append(kitStrings.exportPanel.download, ...links.flatMap((link, i) => (i === 0 ? [link] : [' · ', link])));
  if (!said.textContent) {
    said.textContent = svg ? kitStrings.exportPanel.ready : kitStrings.exportPanel.noChart;
  }

  const linkField = document.createElement('label');
  linkField.className = 'widget__embed-field';
  const linkBox = document.createElement('textarea');
  linkBox.readOnly = true;
  linkBox.rows = 2;
  linkBox.spellcheck = false;
  linkBox.value = target.link;
  linkBox.dataset.exportPermalink = '';
  linkBox.addEventListener('focus', () => linkBox.select());
  linkField.append(kitStrings.exportPanel.permalink, linkBox);
  const stateField = document.createElement('label');
  stateField.className = 'widget__embed-field';
  const stateBox = document.createElement('textarea');
  stateBox.readOnly = true;
  stateBox.rows = Math.min(8, stateText.split('\n').length);
  stateBox.spellcheck = false;
  stateBox.value = stateText;
  stateField.append(kitStrings.exportPanel.state, stateBox);
  panel.append(linkField, stateField);
  if (preview) panel.append(preview);

  return () => {
    panel.remove();
    for (const url of urls) URL.revokeObjectURL(url);
  };
}
