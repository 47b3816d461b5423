// Launching Debian's Chromium through playwright-core, with a real (software) WebGPU adapter.
import { accessSync, constants } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

export const INSTALL_CHROMIUM_HINT =
  'Install Chromium and run the tests again:\n' +
  '  Debian/Ubuntu: sudo apt-get update && sudo apt-get install -y chromium\n' +
  '  elsewhere: install Chrome or Chromium and set CHROME_PATH=/path/to/the/browser';

/** CHROME_PATH if set, else /usr/bin/chromium. Throws with install instructions if missing. */
export function findChromium(): string {
  const path = process.env.CHROME_PATH || '/usr/bin/chromium';
  try {
    accessSync(path, constants.X_OK);
  } catch {
    throw new Error(`No Chromium found at ${path}${process.env.CHROME_PATH ? ' (from CHROME_PATH)' : ''}.\n${INSTALL_CHROMIUM_HINT}`);
  }
  return path;
}

/** Flags that give headless Chromium a WebGPU adapter (SwiftShader's Vulkan on the CPU). */
export const WEBGPU_FLAGS = ['--enable-unsafe-webgpu', '--use-webgpu-adapter=swiftshader', '--enable-features=Vulkan'];

/** Flags for running as root in a container, and for never calling home. */
export const QUIET_FLAGS = [
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

export interface LaunchOptions {
  /** Give the browser a SwiftShader WebGPU adapter. Default true. */
  webgpu?: boolean;
}

/** A headless Chromium; call browser.close() when done. */
export async function launchChromium({ webgpu = true }: LaunchOptions = {}): Promise<Browser> {
  const runningAsRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  return chromium.launch({
    executablePath: findChromium(),
    headless: true,
    chromiumSandbox: !runningAsRoot,
    args: [...(webgpu ? WEBGPU_FLAGS : []), ...(runningAsRoot ? ['--no-sandbox'] : []), ...QUIET_FLAGS],
  });
}
