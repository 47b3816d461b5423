// The static oEmbed answer for each widget, at /oembed/<name>.json (discovered through the
// <link rel="alternate" type="application/json+oembed"> on its embed page). Its URLs use the
// site's public URL (SITE_URL, astro.config.mjs) and its height is the embed's measured height.
import type { APIRoute, GetStaticPaths } from 'astro';
import { widgetCatalog, type WidgetEntry } from '../../embed/catalog';
import { embedHeight } from '../../embed/embedHeights';
import { oembedResponse } from '../../embed/snippets';

export const getStaticPaths: GetStaticPaths = () =>
  widgetCatalog().map((entry) => ({ params: { widget: entry.name }, props: { entry } }));

export const GET: APIRoute = ({ props, site, url }) => {
  const { entry } = props as { entry: WidgetEntry };
  const body = oembedResponse({ origin: (site ?? url).origin, name: entry.name, title: entry.title, height: embedHeight(entry.name) });
  return new Response(JSON.stringify(body, null, 2), { headers: { 'content-type': 'application/json+oembed' } });
};
