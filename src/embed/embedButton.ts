// The "Embed" button on every widget in the reading view: it copies an <iframe> snippet for
// the widget as it is now (the chapter's settings, then the page URL's) and opens a panel with
// that snippet and the script + custom element form, so the code can also be copied by hand.
import './embedButton.css';
import { currentState, elementSnippet, iframeSnippet } from './snippets';

/** Room for the credit line under the widget card on the embed page. */
const CREDIT_HEIGHT = 32;

function codeField(label: string, value: string): HTMLLabelElement {
  const field = document.createElement('label');
  field.className = 'widget__embed-field';
  const code = document.createElement('textarea');
  code.readOnly = true;
  code.rows = 3;
  code.spellcheck = false;
  code.value = value;
  code.addEventListener('focus', () => code.select());
  field.append(label, code);
  return field;
}

async function showEmbedCode(button: HTMLButtonElement): Promise<void> {
  const figure = button.closest<HTMLElement>('[data-widget]')!;
  const name = figure.dataset.widget!;
  const id = figure.dataset.widgetId!;
  const state = currentState(JSON.parse(figure.dataset.widgetState ?? '{}'), id, new URLSearchParams(location.search));
  const title = figure.querySelector('.widget__title')?.textContent?.trim();
  const iframe = iframeSnippet({ origin: location.origin, name, state, title, height: figure.offsetHeight + CREDIT_HEIGHT });
  const element = elementSnippet({ origin: location.origin, name, state });

  figure.querySelector('.widget__embed-panel')?.remove();
  const panel = document.createElement('div');
  panel.className = 'widget__embed-panel';
  const said = document.createElement('p');
  said.setAttribute('role', 'status');
  panel.append(said, codeField('As an iframe', iframe), codeField('As a script and a tag', element));
  button.after(panel);
  button.setAttribute('aria-expanded', 'true');
  try {
    await navigator.clipboard.writeText(iframe);
    said.textContent = 'Copied the iframe code for this figure, with its current settings.';
  } catch {
    said.textContent = 'Copy the code for this figure, with its current settings:';
  }
}

for (const button of document.querySelectorAll<HTMLButtonElement>('[data-widget-embed]')) {
  button.hidden = false;
  button.addEventListener('click', () => {
    const open = button.getAttribute('aria-expanded') === 'true';
    if (open) {
      button.nextElementSibling?.remove();
      button.setAttribute('aria-expanded', 'false');
    } else void showEmbedCode(button);
  });
}
