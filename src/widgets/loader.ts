// The only widget code in a chapter's first load: watch the widget shells and, when one comes
// within 400px of the viewport, import its module (from the registry) and the mounting code.
import { widgetRegistry, type WidgetName } from './registry';
import { kitStrings } from './strings';
import type { WidgetModule } from './types';

/** How far ahead of the viewport a widget starts loading, so it is ready when the reader arrives. */
const LOAD_AHEAD = '400px';

/** The model bar (bring your own model), imported with the first widget that starts. */
function modelPicker() {
  return import('./modelPicker');
}

async function start(root: HTMLElement, teardown: AbortController): Promise<void> {
  // chapter pages only: a slide or an embed has no room for the bar
  if (document.querySelector('main.chapter-main')) void modelPicker().then((picker) => picker.installModelPicker());
  const { findShellParts, hostWidget, showStatus } = await import('./mount');
  const shell = findShellParts(root);
  let module: WidgetModule;
  try {
    showStatus(shell, 'loading', kitStrings.loadingFigure);
    // Each module's schema is its own; here they are all just "a widget module".
    module = (await widgetRegistry[root.dataset.widget as WidgetName]()) as unknown as WidgetModule;
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    showStatus(shell, 'error', kitStrings.couldNotStart(reason));
    console.error(`Widget "${root.dataset.widgetId}" failed to start:`, error);
    return;
  }
  const host = await hostWidget(shell, module, { search: new URL(location.href).searchParams, writeUrl: true });
  teardown.signal.addEventListener('abort', () => host.stop());
}

const shells = [...document.querySelectorAll<HTMLElement>('[data-widget]')];
const seenIds = new Set<string>();
for (const shell of shells) {
  const id = shell.dataset.widgetId!;
  // Two widgets with one id would share URL parameters; give the second an id="..." prop.
  if (seenIds.has(id)) console.error(`Two widgets on this page have the id "${id}"; give each <Widget> its own id.`);
  seenIds.add(id);
}

const teardowns: AbortController[] = [];
const observer = new IntersectionObserver(
  (entries) => {
    for (const entry of entries) {
      if (!entry.isIntersecting) continue;
      observer.unobserve(entry.target);
      const teardown = new AbortController();
      teardowns.push(teardown);
      void start(entry.target as HTMLElement, teardown);
    }
  },
  { rootMargin: `${LOAD_AHEAD} 0px` },
);
for (const shell of shells) observer.observe(shell);
// Files dropped anywhere on a chapter page load as the reader's own model.
if (shells.length > 0 && document.querySelector('main.chapter-main')) {
  const carriesFiles = (event: DragEvent) => event.dataTransfer?.types.includes('Files') ?? false;
  document.addEventListener('dragover', (event) => {
    if (!carriesFiles(event)) return;
    event.preventDefault();
    document.documentElement.dataset.dropping = 'true';
  });
  document.addEventListener('dragleave', (event) => {
    if (event.relatedTarget === null) delete document.documentElement.dataset.dropping;
  });
  document.addEventListener('drop', (event) => {
    if (!carriesFiles(event)) return;
    event.preventDefault();
    delete document.documentElement.dataset.dropping;
    const files = [...(event.dataTransfer?.files ?? [])];
    if (files.length) void modelPicker().then((picker) => picker.loadReaderFiles(files));
  });
}

// Leaving the page tears every widget down (the bfcache may keep the page, so do it on pagehide).
addEventListener('pagehide', (event: PageTransitionEvent) => {
  if (!event.persisted) for (const teardown of teardowns) teardown.abort();
});
