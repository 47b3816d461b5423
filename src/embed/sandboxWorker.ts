// Web Workers inside a sandboxed embed (<iframe sandbox="allow-scripts">, no allow-same-origin).
//
// Such a document has an opaque origin ("null"), and Chromium refuses both `new Worker(url)` for
// the site's own URL (not same-origin with "null") and module workers made from blob: URLs. What
// does work is a classic worker from a blob: URL that the document made itself, which then loads
// the real worker module with a dynamic import(). Two details keep the real worker unaware:
// - self.location is shadowed by the real worker's URL (the runtime checks that the model comes
//   from the site's own origin, and a blob worker's own location is "blob:null/...");
// - messages that arrive while the module loads are held and replayed once it has its handlers.
// The page's CSP must allow `worker-src blob:`, and the site must send
// Access-Control-Allow-Origin: * (public/_headers), because every fetch from "null" is cross-origin.

/** The source of the classic blob worker that stands in for the module worker at `moduleUrl`. */
export function bootstrapSource(moduleUrl: string): string {
  const url = JSON.stringify(moduleUrl);
  return [
    'const early = [];',
    'const hold = (event) => early.push(event);',
    "self.addEventListener('message', hold);",
    `Object.defineProperty(self, 'location', { value: new URL(${url}), configurable: true });`,
    `import(${url}).then(() => {`,
    "  self.removeEventListener('message', hold);",
    "  for (const event of early) self.dispatchEvent(new MessageEvent('message', { data: event.data }));",
    '});',
  ].join('\n');
}

/** In an opaque-origin document, make `new Worker(url, { type: 'module' })` work as shown above. */
export function allowWorkersInSandbox(): void {
  if (self.origin !== 'null') return;
  const NativeWorker = globalThis.Worker;
  globalThis.Worker = class SandboxedWorker extends NativeWorker {
    constructor(url: string | URL, options: WorkerOptions = {}) {
      const moduleUrl = new URL(String(url), location.href).href;
      const { type: _moduleType, ...classicOptions } = options;
      super(URL.createObjectURL(new Blob([bootstrapSource(moduleUrl)], { type: 'text/javascript' })), classicOptions);
    }
  };
}
