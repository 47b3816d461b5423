// vitest globalSetup of the browser project: build dist/ once before any browser test file runs.
import { buildOnce } from './build';

export default function setup(): void {
  buildOnce();
}
