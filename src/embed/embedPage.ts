// The embed page's script: start the one widget with the state from the URL (bare setting names,
// ?temperature=0.5) and tell the parent page the document's height whenever it changes.
import { startLiveWidget } from './liveWidget';
import { allowWorkersInSandbox } from './sandboxWorker';
import { HEIGHT_MESSAGE, prefixedSearch, type HeightMessage } from './snippets';

allowWorkersInSandbox();

const main = document.querySelector<HTMLElement>('[data-embed-root]')!;
const root = main.querySelector<HTMLElement>('[data-widget]')!;
const name = root.dataset.widget!;

if (window.parent !== window) {
  let reported = 0;
  const report = () => {
    const height = Math.ceil(main.getBoundingClientRect().height);
    if (height === reported) return;
    reported = height;
    const message: HeightMessage = { type: HEIGHT_MESSAGE, widget: name, height };
    // The parent is any page on any origin; the message holds nothing but the height.
    window.parent.postMessage(message, '*');
  };
  new ResizeObserver(report).observe(main);
  report();
}

/** Parameters of the page rather than of the figure, read as on chapter pages (?backend=wasm). */
const PAGE_PARAMETERS = ['backend'];
const figureSearch = new URLSearchParams([...new URLSearchParams(location.search)].filter(([key]) => !PAGE_PARAMETERS.includes(key)));

void startLiveWidget(root, {
  search: prefixedSearch(figureSearch, root.dataset.widgetId!),
}).catch((error) => console.error(`Embedded widget "${name}" failed to start:`, error));
