// The height of each widget's embed page at the oEmbed width, measured in Chromium by
// `npm run measure-embeds` (scripts/measure-embeds.ts) and committed in embed-heights.json, so the
// oEmbed answers give a consumer the frame height the widget really needs. The browser tests
// (site.test.ts) measure every embed again and fail when a widget has no committed height or its
// height moved by more than EMBED_HEIGHT_TOLERANCE.
import measured from './embed-heights.json';
import { OEMBED_WIDTH } from './snippets';

/** How far (CSS px) a re-measured height may be from the committed one. */
export const EMBED_HEIGHT_TOLERANCE = 4;

/**
 * Measured height (CSS px) of widget `name`'s embed page at OEMBED_WIDTH, or undefined for a
 * widget not measured yet (its oEmbed answer then gives the default height until it is).
 */
export function embedHeight(name: string): number | undefined {
  if (measured.width !== OEMBED_WIDTH) {
    throw new Error(`src/embed/embed-heights.json was measured at ${measured.width} px, but oEmbed answers are ${OEMBED_WIDTH} px wide. Run npm run measure-embeds.`);
  }
  return (measured.heights as Record<string, number | undefined>)[name];
}
