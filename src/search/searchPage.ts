// The search page in the browser: loads Pagefind's library from /pagefind/ (same origin) on first
// use, searches as the reader types (debounced by Pagefind), keeps the query in the URL and shows
// each matching chapter with its best excerpt and up to three of its sections.
import { excerptPieces, INDEX_MISSING, marksMatchQuery, queryFromUrl, cleanQuery, statusText, type ExcerptPiece } from './searchText';

interface PagefindSubResult {
  title: string;
  url: string;
  excerpt: string;
}
interface PagefindData {
  url: string;
  excerpt: string;
  meta: { title?: string };
  sub_results: PagefindSubResult[];
}
interface PagefindModule {
  init(): Promise<void>;
  debouncedSearch(query: string, options?: object, ms?: number): Promise<{ results: { data(): Promise<PagefindData> }[] } | null>;
}

const MAX_RESULTS = 20;
const MAX_SECTIONS = 3;

let pagefind: Promise<PagefindModule> | null = null;
function loadPagefind(): Promise<PagefindModule> {
  // A path in a variable, so the bundler leaves the import to the browser (the file exists only
  // in the built site).
  const url = '/pagefind/pagefind.js';
  pagefind ??= (import(/* @vite-ignore */ url) as Promise<PagefindModule>).then(async (module) => {
    await module.init();
    return module;
  });
  pagefind.catch(() => (pagefind = null));
  return pagefind;
}

function appendExcerpt(parent: HTMLElement, pieces: ExcerptPiece[]): void {
  for (const piece of pieces) {
    if (piece.marked) {
      const mark = document.createElement('mark');
      mark.textContent = piece.text;
      parent.append(mark);
    } else {
      parent.append(piece.text);
    }
  }
}

/** The words Pagefind marked in a result's excerpts. */
function markedWords(data: PagefindData): string[] {
  return [data.excerpt, ...data.sub_results.map((sub) => sub.excerpt)].flatMap((excerpt) =>
    excerptPieces(excerpt)
      .filter((piece) => piece.marked)
      .map((piece) => piece.text),
  );
}

function resultItem(data: PagefindData): HTMLLIElement {
  const item = document.createElement('li');
  item.className = 'search-result';
  const title = document.createElement('a');
  title.className = 'search-result__title';
  title.href = data.url;
  title.textContent = data.meta.title ?? data.url;
  const excerpt = document.createElement('p');
  excerpt.className = 'search-result__excerpt';
  appendExcerpt(excerpt, excerptPieces(data.excerpt));
  item.append(title, excerpt);
  // Sections of the chapter that match (a sub result with the page's own URL is its top, before
  // the first heading: the excerpt above already shows it).
  const sections = data.sub_results.filter((sub) => sub.url !== data.url).slice(0, MAX_SECTIONS);
  if (sections.length > 0) {
    const list = document.createElement('ul');
    list.className = 'search-result__sections';
    list.setAttribute('aria-label', `Matching sections of ${title.textContent}`);
    for (const sub of sections) {
      const li = document.createElement('li');
      const link = document.createElement('a');
      link.href = sub.url;
      link.textContent = sub.title;
      const text = document.createElement('span');
      appendExcerpt(text, excerptPieces(sub.excerpt));
      li.append(link, ': ', text);
      list.append(li);
    }
    item.append(list);
  }
  return item;
}

export function startSearchPage(doc: Document): void {
  const form = doc.querySelector<HTMLFormElement>('[data-search-form]')!;
  const input = doc.querySelector<HTMLInputElement>('[data-search-input]')!;
  const status = doc.querySelector<HTMLElement>('[data-search-status]')!;
  const list = doc.querySelector<HTMLOListElement>('[data-search-results]')!;
  let latest = 0;

  async function run(raw: string): Promise<void> {
    const query = cleanQuery(raw);
    const ticket = ++latest;
    const url = new URL(location.href);
    if (query === '') url.searchParams.delete('q');
    else url.searchParams.set('q', query);
    history.replaceState(null, '', url);
    if (query === '') {
      list.replaceChildren();
      status.textContent = statusText('', 0);
      return;
    }
    let module: PagefindModule;
    try {
      module = await loadPagefind();
    } catch {
      if (ticket === latest) status.textContent = INDEX_MISSING;
      return;
    }
    const search = await module.debouncedSearch(query, {}, 150);
    if (search === null || ticket !== latest) return; // a newer query is on its way
    const loaded = await Promise.all(search.results.slice(0, MAX_RESULTS).map((result) => result.data()));
    if (ticket !== latest) return;
    const data = loaded.filter((result) => marksMatchQuery(markedWords(result), query));
    list.replaceChildren(...data.map(resultItem));
    status.textContent = statusText(query, data.length);
    doc.body.dataset.searchDone = query;
  }

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    void run(input.value);
  });
  input.addEventListener('input', () => void run(input.value));
  const initial = queryFromUrl(location.search);
  input.value = initial;
  if (initial !== '') void run(initial);
}
