// Registers the site's service worker (dist/sw.js, see src/offline/serviceWorkerBuild.mjs) once the
// page has loaded, so that a reader can come back offline. Only in a built site: `astro dev` has no
// sw.js. A browser that refuses (private windows, some embedded contexts) simply stays online-only.
export function registerServiceWorker(): void {
  if (!import.meta.env.PROD || !('serviceWorker' in navigator)) return;
  const register = () =>
    navigator.serviceWorker.register('/sw.js').catch((error: unknown) => {
      console.warn(`Offline reading is off: the service worker did not register (${String(error)}).`);
    });
  if (document.readyState === 'complete') void register();
  else addEventListener('load', () => void register(), { once: true });
}
