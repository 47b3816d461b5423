// Rendering a layout's default slot without the reading view's widget loader (detach.ts), and
// listing the hash of every style="..." attribute in it in the page's CSP (KaTeX writes such
// attributes), as the chapter layout does. Call it from a layout's frontmatter, before the
// layout outputs <head>: the policy is written into <head> and hashes added later are lost.
import type { AstroGlobal } from 'astro';
import { styleAttributeHashes } from '../layouts/styleAttributeHashes';
import { withoutWidgetLoader } from './detach';

export async function renderDetachedSlot(astro: AstroGlobal): Promise<string> {
  const html = withoutWidgetLoader(await astro.slots.render('default'));
  for (const hash of styleAttributeHashes(html)) astro.csp.insertStyleHash(hash);
  return html;
}
