// vitest globalSetup of the browser project: make sure a browser exists (failing at once, with
// install instructions, if not), then build dist/ once before any browser test file runs.
import { buildOnce } from './build';
import { findChromium } from './chromium';

export default function setup(): void {
  findChromium();
  buildOnce();
}
