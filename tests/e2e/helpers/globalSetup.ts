// vitest globalSetup of the browser project: make sure a browser exists (failing at once, with
// install instructions, if not), build dist/ once before any browser test file runs, and start
// the shared browsers that every test file connects to (launchChromium); stop them at the end.
import { buildOnce } from './build';
import { findChromium, startSharedBrowsers } from './chromium';

export default async function setup(): Promise<() => Promise<void>> {
  findChromium();
  buildOnce();
  return startSharedBrowsers();
}
