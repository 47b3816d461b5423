// npm run measure-embeds: the height of every widget's embed page at the oEmbed width, measured
// in headless Chromium against the built site (dist/, built first if needed), written to
// src/embed/embed-heights.json for the oEmbed answers. Run it after changing a widget's layout
// and commit the file; the browser tests fail when a height has moved by more than a few px.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { OEMBED_WIDTH } from '../src/embed/snippets';
import { widgetNames } from '../src/widgets/registry';
import { buildOnce, launchChromium, REPO_ROOT, serveDist } from '../tests/e2e/helpers';
import { measureEmbed } from '../tests/e2e/helpers/embedHeight';

const OUTPUT = join(REPO_ROOT, 'src', 'embed', 'embed-heights.json');

const root = buildOnce();
const server = await serveDist({ root });
const browser = await launchChromium({ webgpu: false });
const heights: Record<string, number> = {};
try {
  for (const name of [...widgetNames].sort()) {
    heights[name] = await measureEmbed(browser, server.url, name);
    console.log(`${name}: ${heights[name]} px`);
  }
} finally {
  await browser.close();
  await server.close();
}
writeFileSync(OUTPUT, `${JSON.stringify({ width: OEMBED_WIDTH, heights }, null, 2)}\n`);
console.log(`Wrote ${OUTPUT}`);
