// Slides and embeds start their widgets themselves (src/embed/liveWidget.ts), so the rendered
// chapter HTML must not also carry the reading view's lazy loader that components/Widget.astro
// includes; otherwise every widget would be mounted twice.

/** The <script> that components/Widget.astro renders (built: Widget.astro_astro_type_script...; dev: Widget.astro?astro&type=script). */
const WIDGET_LOADER_SCRIPT = /<script\b[^>]*\bsrc="[^"]*Widget\.astro[^"]*"[^>]*><\/script>/g;

/** `html` without the reading view's widget loader script. */
export function withoutWidgetLoader(html: string): string {
  return html.replace(WIDGET_LOADER_SCRIPT, '');
}
