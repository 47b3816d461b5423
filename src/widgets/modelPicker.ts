// Bring your own model: a bar at the bottom of a chapter page that says which model the figures
// run, lets the reader load their own (a file picker, a folder picker, or files dropped anywhere
// on the page) and go back to the shipped one. Loading goes through the kit (usePageModel in
// ./mount), so every widget of the page moves onto the new model; a model that cannot load gets
// the loader's message here and the page keeps the model it had.
//
// The files are not kept: a reload brings the shipped model back, and the bar says so
// (sessionStorage remembers only that a reader's model was in use, and its name).
import modelPickerCss from './modelPicker.css?url';
import { selectModelFiles } from '../llama/modelLimits';
import type { ModelSummary, ModelUpload } from '../runtime/client';
import { DEFAULT_MODEL_URL, usePageModel } from './mount';
import { kitStrings } from './strings';
import { loadStylesheet } from './styles';

loadStylesheet(modelPickerCss);

/** sessionStorage key: the name of the reader's model while one is in use in this tab. */
export const READER_MODEL_KEY = 'glass-llama:reader-model';

const strings = kitStrings.modelPicker;

interface Bar {
  root: HTMLElement;
  text: HTMLElement;
  hint: HTMLElement;
  message: HTMLElement;
  choose: HTMLButtonElement;
  chooseFolder: HTMLButtonElement;
  back: HTMLButtonElement;
  files: HTMLInputElement;
  folder: HTMLInputElement;
}

let bar: Bar | null = null;
let busy = false;

/** Puts the bar on the page (once) and listens for dropped files. */
export function installModelPicker(): void {
  if (bar) return;
  bar = makeBar();
  document.body.append(bar.root);
  document.documentElement.dataset.model = 'shipped';
  showShipped(bar);
  const forgotten = readStorage();
  if (forgotten !== null) {
    bar.message.textContent = strings.notKept(forgotten);
    writeStorage(null);
  }
}

/** Loads the reader's files (from the picker or a drop) into every widget of the page. */
export async function loadReaderFiles(picked: readonly File[]): Promise<void> {
  installModelPicker();
  const current = bar!;
  // a folder brings everything in it: keep the files a model is made of
  const files = selectModelFiles(picked.map((file) => ({ name: file.webkitRelativePath || file.name, size: file.size, file })));
  if (busy) return;
  if (files.length === 0) {
    current.message.textContent = strings.noModelFiles(picked.map((file) => file.name));
    return;
  }
  busy = true;
  setBusy(current, true, strings.loading(files.map((entry) => entry.name)));
  const upload: ModelUpload = { files: files.map(({ name, size, file }) => ({ name, size, arrayBuffer: () => file.arrayBuffer() })) };
  try {
    const model = await usePageModel(upload);
    showReader(current, model);
    writeStorage(model.name);
    current.message.textContent = '';
  } catch (error) {
    current.message.textContent = strings.couldNotLoad(error instanceof Error ? error.message : String(error));
  } finally {
    busy = false;
    setBusy(current, false);
  }
}

/** Back to the shipped model: every widget moves back onto it. */
export async function useShippedModel(): Promise<void> {
  const current = bar!;
  if (busy) return;
  busy = true;
  setBusy(current, true, strings.loadingShipped);
  try {
    await usePageModel(DEFAULT_MODEL_URL);
    showShipped(current);
    writeStorage(null);
    current.message.textContent = strings.shippedBack;
  } catch (error) {
    current.message.textContent = strings.couldNotLoad(error instanceof Error ? error.message : String(error));
  } finally {
    busy = false;
    setBusy(current, false);
  }
}

function makeBar(): Bar {
  const root = document.createElement('section');
  root.className = 'model-bar';
  root.setAttribute('aria-label', strings.region);
  root.dataset.modelBar = '';
  const text = document.createElement('p');
  text.className = 'model-bar__text';
  text.dataset.modelBarText = '';
  // which files to bring: beside the sentence on a wide screen, the buttons' description on a phone
  const hint = document.createElement('p');
  hint.className = 'model-bar__hint';
  hint.id = `model-bar-hint`;
  hint.textContent = strings.hint;
  const actions = document.createElement('div');
  actions.className = 'model-bar__actions';
  const files = fileInput();
  const folder = fileInput();
  folder.webkitdirectory = true;
  const choose = button(strings.chooseFiles, () => files.click());
  const chooseFolder = button(strings.chooseFolder, () => folder.click());
  const back = button(strings.back, () => void useShippedModel());
  choose.setAttribute('aria-describedby', hint.id);
  chooseFolder.classList.add('model-bar__button--folder');
  back.dataset.modelBack = '';
  actions.append(choose, chooseFolder, back, files, folder);
  const message = document.createElement('p');
  message.className = 'model-bar__message';
  message.setAttribute('role', 'status');
  message.dataset.modelBarMessage = '';
  for (const input of [files, folder]) {
    input.addEventListener('change', () => {
      const picked = [...(input.files ?? [])];
      input.value = ''; // the same files picked again load again
      if (picked.length) void loadReaderFiles(picked);
    });
  }
  root.append(text, hint, actions, message);
  return { root, text, hint, message, choose, chooseFolder, back, files, folder };
}

function fileInput(): HTMLInputElement {
  const input = document.createElement('input');
  input.type = 'file';
  input.multiple = true;
  input.hidden = true;
  input.tabIndex = -1;
  input.dataset.modelFiles = '';
  return input;
}

function button(label: string, onClick: () => void): HTMLButtonElement {
  const made = document.createElement('button');
  made.type = 'button';
  made.className = 'model-bar__button';
  made.textContent = label;
  made.addEventListener('click', onClick);
  return made;
}

function showShipped(current: Bar): void {
  document.documentElement.dataset.model = 'shipped';
  current.root.dataset.model = 'shipped';
  current.text.textContent = strings.shipped;
  current.hint.hidden = false;
  current.back.hidden = true;
}

function showReader(current: Bar, model: ModelSummary): void {
  document.documentElement.dataset.model = 'reader';
  current.root.dataset.model = 'reader';
  const { num_hidden_layers: layers, vocab_size: vocab } = model.config;
  current.text.textContent = strings.reader(model.name, model.parameters, layers, vocab, model.hasTokenizer);
  current.hint.hidden = true;
  current.back.hidden = false;
}

function setBusy(current: Bar, isBusy: boolean, message = ''): void {
  current.root.setAttribute('aria-busy', String(isBusy));
  for (const control of [current.choose, current.chooseFolder, current.back]) control.disabled = isBusy;
  if (isBusy) current.message.textContent = message;
}

function readStorage(): string | null {
  try {
    return sessionStorage.getItem(READER_MODEL_KEY);
  } catch {
    return null; // no storage (a sandboxed frame)
  }
}

function writeStorage(name: string | null): void {
  try {
    if (name === null) sessionStorage.removeItem(READER_MODEL_KEY);
    else sessionStorage.setItem(READER_MODEL_KEY, name);
  } catch {
    // no storage: a reload simply shows the shipped model without the note
  }
}
