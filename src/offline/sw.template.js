// The site's service worker (written to dist/sw.js by src/offline/serviceWorkerBuild.mjs, which
// replaces the manifest below). It lets a reader come back offline after a first visit.
/* global self, caches, fetch, URL, Response */
const MANIFEST = self.__OFFLINE_MANIFEST__;
const CACHE = `glass-llama-${MANIFEST.version}`;
const ON_DEMAND = new Set(MANIFEST.onDemand);

self.addEventListener('install', (event) => {
  event.waitUntil(
    caches
      .open(CACHE)
      .then((cache) => cache.addAll(MANIFEST.precache))
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((names) => Promise.all(names.filter((name) => name.startsWith('glass-llama-') && name !== CACHE).map((name) => caches.delete(name))))
      .then(() => self.clients.claim()),
  );
});

/** The cache key of a request: its path without the query (?prompt=... on a chapter page). */
function keyOf(url) {
  return url.pathname;
}

self.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.method !== 'GET') return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  const key = keyOf(url);
  // Hashed build files never change: the cache first. Everything else: the network first, so an
  // online reader gets the newest build, and the cache when the network fails.
  const immutable = key.startsWith('/_astro/');
  event.respondWith(
    caches.open(CACHE).then(async (cache) => {
      const cached = await cache.match(key);
      if (immutable && cached) return cached;
      try {
        const response = await fetch(request);
        // Keep what the manifest lists (the big model files on first use), whole responses only.
        if (response.ok && response.status === 200 && (ON_DEMAND.has(key) || cached)) {
          await cache.put(key, response.clone());
        }
        return response;
      } catch (error) {
        if (cached) return cached;
        if (request.mode === 'navigate') {
          return new Response(
            '<!doctype html><meta charset="utf-8"><title>Offline</title><p>You are offline, and this page was not saved on this device. Go back to a page you have opened before, or try again when you are online.</p>',
            { status: 503, headers: { 'Content-Type': 'text/html; charset=utf-8' } },
          );
        }
        throw error;
      }
    }),
  );
});
