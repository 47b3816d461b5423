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

function launchOptions(webgpu: boolean) {
  const runningAsRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  return {
    executablePath: findChromium(),
    headless: true,
    chromiumSandbox: !runningAsRoot,
    args: [...(webgpu ? WEBGPU_FLAGS : []), ...(runningAsRoot ? ['--no-sandbox'] : []), ...QUIET_FLAGS],
  };
}

/**
 * The environment variable that holds the WebSocket endpoint of the shared browser of a kind,
 * set by the browser project's globalSetup (startSharedBrowsers) and inherited by the test files'
 * worker processes.
 */
export const sharedBrowserVariable = (webgpu: boolean) => (webgpu ? 'GLASS_LLAMA_CHROMIUM_WEBGPU_WS' : 'GLASS_LLAMA_CHROMIUM_WS');

/**
 * A headless Chromium; call browser.close() when done. Inside the browser test run this is a
 * connection to the run's shared browser of that kind (one Chromium for every test file, each file
 * in its own contexts, which close() closes); elsewhere (scripts, GLASS_LLAMA_OWN_BROWSER=1) a
 * browser of its own.
 */
export async function launchChromium({ webgpu = true }: LaunchOptions = {}): Promise<Browser> {
  const shared = process.env[sharedBrowserVariable(webgpu)];
  if (shared && process.env.GLASS_LLAMA_OWN_BROWSER !== '1') return chromium.connect(shared);
  return chromium.launch(launchOptions(webgpu));
}

/**
 * Starts the two shared browsers (with and without a WebGPU adapter) and publishes their endpoints
 * in the environment for the test files; returns a function that stops them. Contexts are the
 * isolation between test files (cookies, storage, permissions, BroadcastChannel are per context).
 */
export async function startSharedBrowsers(): Promise<() => Promise<void>> {
  const servers = await Promise.all([true, false].map(async (webgpu) => {
    const server = await chromium.launchServer(launchOptions(webgpu));
    process.env[sharedBrowserVariable(webgpu)] = server.wsEndpoint();
    return server;
  }));
  return async () => {
    await Promise.all(servers.map((server) => server.close()));
  };
}
