// What another page pastes to show one widget: the embed page's URL, the <iframe> snippet, the
// script + custom element snippet, and the oEmbed answer. Pure functions of (origin, name, state),
// shared by the "Embed" button, the oEmbed endpoint, the embed page and the tests.
//
// An embed URL carries the widget's settings by their bare names, /embed/<name>/?temperature=0.5,
// because the embed page has one widget; on a chapter page the same setting is
// ?<widget id>.temperature=0.5 (src/widgets/state.ts).

export type EmbedState = Record<string, string | number | boolean>;

/** The sandbox an embed needs: scripts, nothing else (no same-origin, forms, popups or top navigation). */
export const EMBED_SANDBOX = 'allow-scripts';

/** Height (CSS px) of an embed before it reports its own. */
export const DEFAULT_EMBED_HEIGHT = 420;

/** The type of the message an embed posts to its parent whenever its height changes. */
export const HEIGHT_MESSAGE = 'glass-llama:height';

export interface HeightMessage {
  type: typeof HEIGHT_MESSAGE;
  /** The widget name, so a page with several embeds can log which one spoke. */
  widget: string;
  /** The embed document's full height in CSS pixels. */
  height: number;
}

/** "softmax-temperature" -> "Softmax temperature": the title when nothing better is known. */
export function widgetTitle(name: string): string {
  const words = name.split('-').join(' ');
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** `state` as a query string, settings in the given order: "temperature=0.5&prompt=Once+upon". */
export function stateQuery(state: EmbedState): string {
  return new URLSearchParams(Object.entries(state).map(([setting, value]) => [setting, String(value)])).toString();
}

/** Absolute URL of the embed page for widget `name` with `state`. */
export function embedUrl(origin: string, name: string, state: EmbedState = {}): string {
  const query = stateQuery(state);
  return `${origin}/embed/${name}/${query ? `?${query}` : ''}`;
}

/** Absolute URL of the static oEmbed answer for widget `name`. */
export function oembedUrl(origin: string, name: string): string {
  return `${origin}/oembed/${name}.json`;
}

function escapeAttribute(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
}

/** The <iframe> to paste into another page. */
export function iframeSnippet(options: { origin: string; name: string; state?: EmbedState; title?: string; height?: number }): string {
  const { origin, name, state = {}, title = widgetTitle(name), height = DEFAULT_EMBED_HEIGHT } = options;
  return (
    `<iframe src="${escapeAttribute(embedUrl(origin, name, state))}" title="${escapeAttribute(title)}" ` +
    `sandbox="${EMBED_SANDBOX}" loading="lazy" width="100%" height="${Math.round(height)}" ` +
    `style="border:0;max-width:100%"></iframe>`
  );
}

/** The script + custom element form: the element sizes its iframe to the widget's reported height. */
export function elementSnippet(options: { origin: string; name: string; state?: EmbedState }): string {
  const { origin, name, state = {} } = options;
  const query = stateQuery(state);
  const stateAttribute = query ? ` state="${escapeAttribute(query)}"` : '';
  return `<script type="module" src="${origin}/embed.js"></script>\n<glass-llama-widget name="${escapeAttribute(name)}"${stateAttribute}></glass-llama-widget>`;
}

/** Width (CSS px) the oEmbed answers give, and at which each embed's height is measured. */
export const OEMBED_WIDTH = 640;

/**
 * The oEmbed 1.0 "rich" answer for widget `name` (https://oembed.com/#section2.3); `height` is the
 * embed's measured height at OEMBED_WIDTH (src/embed/embed-heights.json).
 */
export function oembedResponse(options: { origin: string; name: string; title?: string; height?: number }) {
  const { origin, name, title = widgetTitle(name), height = DEFAULT_EMBED_HEIGHT } = options;
  return {
    version: '1.0',
    type: 'rich',
    title,
    provider_name: 'Glass Llama',
    provider_url: `${origin}/`,
    html: iframeSnippet({ origin, name, title, height }),
    width: OEMBED_WIDTH,
    height: Math.round(height),
    cache_age: 86400,
  } as const;
}

/**
 * An embed page's search parameters, `?temperature=0.5`, as the `${id}.temperature` parameters the
 * widget code reads. Parameters already in that form pass through unchanged.
 */
export function prefixedSearch(search: URLSearchParams, id: string): URLSearchParams {
  const prefixed = new URLSearchParams();
  for (const [key, value] of search) prefixed.append(key.startsWith(`${id}.`) ? key : `${id}.${key}`, value);
  return prefixed;
}

/**
 * The state a chapter page's widget shows now: the chapter's `state` prop overridden by the
 * page URL's `${id}.*` parameters (what the "Embed" button copies).
 */
export function currentState(authored: EmbedState, id: string, pageSearch: URLSearchParams): EmbedState {
  const state: EmbedState = { ...authored };
  for (const [key, value] of pageSearch) if (key.startsWith(`${id}.`)) state[key.slice(id.length + 1)] = value;
  return state;
}
