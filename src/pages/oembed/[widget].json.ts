// The static oEmbed answer for each widget, at /oembed/<name>.json (discovered through the
// <link rel="alternate" type="application/json+oembed"> on its embed page).
import type { APIRoute, GetStaticPaths } from 'astro';
import { widgetCatalog, type WidgetEntry } from '../../embed/catalog';
import { oembedResponse } from '../../embed/snippets';

export const getStaticPaths: GetStaticPaths = () =>
  widgetCatalog().map((entry) => ({ params: { widget: entry.name }, props: { entry } }));

export const GET: APIRoute = ({ props, site, url }) => {
  const { entry } = props as { entry: WidgetEntry };
  const body = oembedResponse({ origin: (site ?? url).origin, name: entry.name, title: entry.title });
  return new Response(JSON.stringify(body, null, 2), { headers: { 'content-type': 'application/json+oembed' } });
};
