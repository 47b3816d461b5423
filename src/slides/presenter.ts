// The presenter view: two frames of the deck (current, next), the notes for the current slide,
// the slide count, a timer, and buttons/keys that move every window of the deck.
import { joinDeck, type DeckMessage } from './channel';

const main = document.querySelector<HTMLElement>('[data-presenter]')!;
const chapterId = main.dataset.presenter!;
const deckPath = main.dataset.deckPath!;
const notes = [...document.querySelectorAll<HTMLElement>('[data-notes-for]')];
const count = document.querySelector<HTMLOutputElement>('[data-slide-count]')!;
const total = document.querySelector<HTMLElement>('[data-slide-total]')!;
let currentHash = location.hash;

// The frames open where this window's link says (widget states in the search, slide in the hash).
const linkState = new URLSearchParams(location.search);
if (location.search || location.hash) for (const frame of document.querySelectorAll<HTMLIFrameElement>('iframe[data-frame]')) {
  const search = new URLSearchParams(linkState);
  search.set('view', frame.dataset.frame!);
  frame.src = `${deckPath}?${search}${location.hash}`;
}

const channel = joinDeck(chapterId, (message: DeckMessage) => {
  if (message.kind !== 'slide') return;
  for (const note of notes) note.hidden = Number(note.dataset.notesFor) !== message.h;
  count.value = String(message.h + 1);
  total.textContent = String(message.total);
  currentHash = `#/${message.h}${message.v > 0 ? `/${message.v}` : ''}`;
});
channel.post({ kind: 'hello' });


const go = (direction: 'next' | 'prev') => channel.post({ kind: 'go', direction });
document.querySelector('[data-next]')!.addEventListener('click', () => go('next'));
document.querySelector('[data-prev]')!.addEventListener('click', () => go('prev'));
document.addEventListener('keydown', (event) => {
  if (event.target instanceof HTMLElement && event.target.closest('button, input, textarea, select')) return;
  if (['ArrowRight', 'ArrowDown', 'PageDown', ' ', 'n'].includes(event.key)) go('next');
  else if (['ArrowLeft', 'ArrowUp', 'PageUp', 'p'].includes(event.key)) go('prev');
  else return;
  event.preventDefault();
});

document.querySelector('[data-open-audience]')!.addEventListener('click', () => {
  const search = new URLSearchParams(linkState);
  search.delete('view');
  const query = search.toString();
  window.open(`${deckPath}${query ? `?${query}` : ''}${currentHash}`, `glass-llama-audience-${chapterId}`);
});

// The timer counts time shown, not time paused.
const timer = document.querySelector<HTMLOutputElement>('[data-timer]')!;
const toggle = document.querySelector<HTMLButtonElement>('[data-timer-toggle]')!;
let elapsedBeforePause = 0;
let runningSince: number | null = Date.now();
const elapsedMs = () => elapsedBeforePause + (runningSince === null ? 0 : Date.now() - runningSince);
function showTime(): void {
  const seconds = Math.floor(elapsedMs() / 1000);
  const minutes = Math.floor(seconds / 60);
  timer.value = `${minutes}:${String(seconds % 60).padStart(2, '0')}`;
}
toggle.addEventListener('click', () => {
  if (runningSince === null) runningSince = Date.now();
  else {
    elapsedBeforePause = elapsedMs();
    runningSince = null;
  }
  toggle.setAttribute('aria-pressed', String(runningSince === null));
  toggle.textContent = runningSince === null ? 'Resume timer' : 'Pause timer';
  showTime();
});
document.querySelector('[data-timer-reset]')!.addEventListener('click', () => {
  elapsedBeforePause = 0;
  runningSince = runningSince === null ? null : Date.now();
  showTime();
});
setInterval(showTime, 1000);
