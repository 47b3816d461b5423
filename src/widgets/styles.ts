// A widget's stylesheets load with its code, not with the page. Astro puts every CSS file that a
// page's scripts can reach, dynamic imports included, into the page's own styles (withastro/astro
// #9495), so a plain `import './x.css'` in a widget module would put every widget's CSS (57 KB,
// 12 KB gzipped) into the first load of every page. A widget module imports its CSS as a URL
// instead (`import css from './x.css?url'`) and calls loadStylesheet(css); hostWidget (mount.ts)
// waits for stylesheetsLoaded() before mount(), so a figure is never drawn or measured unstyled.
//
//   import unitCss from './mlpUnit.css?url';
//   loadStylesheet(unitCss);

const requested = new Map<string, Promise<void>>();

/**
 * Adds a <link rel="stylesheet"> for `href` to the document, once per URL; resolves when it has
 * loaded or failed (a failed stylesheet is a console error, and the figure still runs). Does
 * nothing outside a browser (Node imports widget modules for their schemas).
 */
export function loadStylesheet(href: string): Promise<void> {
  if (typeof document === 'undefined') return Promise.resolve();
  let loaded = requested.get(href);
  if (!loaded) {
    loaded = new Promise<void>((resolve) => {
      const link = document.createElement('link');
      link.rel = 'stylesheet';
      link.href = href;
      link.addEventListener('load', () => resolve(), { once: true });
      link.addEventListener(
        'error',
        () => {
          console.error(`The stylesheet ${href} did not load; the figure is drawn without it.`);
          resolve();
        },
        { once: true },
      );
      document.head.append(link);
    });
    requested.set(href, loaded);
  }
  return loaded;
}

/** Resolves when every stylesheet requested so far has loaded (or failed). */
export async function stylesheetsLoaded(): Promise<void> {
  await Promise.all(requested.values());
}
