// <glass-llama-widget name="softmax-temperature" state="temperature=0.5"></glass-llama-widget>
//
// Served as /embed.js (src/pages/embed.js.ts fills in WIDGET_NAMES). For pages that prefer a tag
// to an <iframe>: the element puts the widget's embed page in a sandboxed iframe from the site
// that served this script and keeps the iframe as tall as the widget says it is. Plain JavaScript,
// no imports: it runs as is on someone else's page.

/** The widgets the site has (replaced at build time). */
const WIDGET_NAMES = /* WIDGET_NAMES */ [];
const SITE = new URL('.', import.meta.url);
const HEIGHT_MESSAGE = 'glass-llama:height';

class GlassLlamaWidget extends HTMLElement {
  static observedAttributes = ['name', 'state'];

  connectedCallback() {
    this.render();
    this.listener = (event) => {
      const frame = this.shadowRoot?.querySelector('iframe');
      if (!frame || event.source !== frame.contentWindow) return;
      const { type, height } = event.data ?? {};
      if (type === HEIGHT_MESSAGE && Number.isFinite(height) && height > 0) frame.style.height = `${Math.ceil(height)}px`;
    };
    window.addEventListener('message', this.listener);
  }

  disconnectedCallback() {
    window.removeEventListener('message', this.listener);
  }

  attributeChangedCallback() {
    if (this.isConnected) this.render();
  }

  render() {
    const root = this.shadowRoot ?? this.attachShadow({ mode: 'open' });
    const name = (this.getAttribute('name') ?? '').trim();
    if (!WIDGET_NAMES.includes(name)) {
      const message = document.createElement('p');
      message.setAttribute('role', 'status');
      message.textContent =
        `Glass Llama has no widget named "${name}". ` + `Use one of: ${WIDGET_NAMES.join(', ')} (see ${SITE.origin}/ for each).`;
      message.style.cssText = 'margin:0;padding:0.75em 1em;border:1px solid #c5221f;border-radius:8px;font:0.9rem system-ui,sans-serif;color:#a4161a';
      root.replaceChildren(message);
      return;
    }
    // The state is a query string of bare setting names ("temperature=0.5"); the embed page
    // checks each value and says in the widget's status line when one is not allowed.
    const query = new URLSearchParams(this.getAttribute('state') ?? '').toString();
    const frame = document.createElement('iframe');
    frame.src = new URL(`embed/${name}/${query ? `?${query}` : ''}`, SITE).href;
    frame.title = this.getAttribute('title') ?? `Glass Llama: ${name.replace(/-/g, ' ')}`;
    frame.setAttribute('sandbox', 'allow-scripts');
    frame.setAttribute('loading', 'lazy');
    frame.style.cssText = 'display:block;width:100%;height:420px;border:0';
    root.replaceChildren(frame);
  }
}

if (!customElements.get('glass-llama-widget')) customElements.define('glass-llama-widget', GlassLlamaWidget);
