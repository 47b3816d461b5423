/// <reference types="vite/client" />
// /embed.js: the <glass-llama-widget> custom element (src/embed/element.js) with the names of the
// site's widgets written in, so a wrong name gets a clear message without a round trip.
import type { APIRoute } from 'astro';
import elementSource from '../embed/element.js?raw';
import { widgetNames } from '../widgets/registry';

export const GET: APIRoute = () =>
  new Response(elementSource.replace('/* WIDGET_NAMES */ []', JSON.stringify(widgetNames)), {
    headers: { 'content-type': 'text/javascript; charset=utf-8' },
  });
