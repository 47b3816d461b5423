// The exercises at the end of a chapter page, brought to life (markup: src/exercises/render.ts).
// - choice and numeric: the reader answers, the checker (src/exercises/check.ts) says right or
//   wrong, the explanation opens, and the named widget starts with run.state through the widget
//   kit, as an embed does; its code loads only then.
// - widget: a live widget, started when it nears the viewport; every change the reader makes
//   (the kit's onStateChange) is checked against the goal, shown setting by setting.
// Answers are kept per chapter in localStorage (src/exercises/progress.ts); "Reset my answers"
// forgets them. /chapters/<id>/#exercise-<id> opens one exercise, highlighted (CSS :target) and
// focused.
import '../styles/widget.css';
import '../widgets/shell.css';
import './exercises.css';
import { checkChoice, checkNumeric, goalMet, goalProgress, parseNumber } from './check';
import { browserStorage, loadProgress, progressSummary, resetProgress, saveAnswer, type ChapterProgress, type ExerciseRecord } from './progress';
import type { Exercise, WidgetExercise, WidgetSettings } from './types';
import type { LiveWidget } from '../embed/liveWidget';
import { embedHeight } from '../embed/embedHeights';

/** How far ahead of the viewport a widget exercise starts, as in the chapter's loader. */
const LOAD_AHEAD = '400px';

/** A widget shell like components/Widget.astro renders, for the kit to bring to life. */
function widgetShell(name: string, id: string, title: string, state: WidgetSettings): HTMLElement {
  const figure = document.createElement('figure');
  figure.className = 'widget widget--medium exercise__widget';
  figure.dataset.widget = name;
  figure.dataset.widgetId = id;
  figure.dataset.widgetState = JSON.stringify(state);
  figure.dataset.status = 'idle';
  const heading = document.createElement('p');
  heading.className = 'widget__title';
  heading.id = `${id}-title`;
  heading.textContent = title;
  figure.setAttribute('aria-labelledby', heading.id);
  const stage = document.createElement('div');
  stage.className = 'widget__stage';
  stage.dataset.widgetStage = '';
  const status = document.createElement('p');
  status.className = 'widget__status';
  status.setAttribute('role', 'status');
  status.dataset.widgetStatus = '';
  figure.append(heading, stage, status);
  return figure;
}

async function startWidget(
  place: HTMLElement,
  name: string,
  id: string,
  title: string,
  state: WidgetSettings,
  onStateChange?: (state: WidgetSettings) => void,
): Promise<LiveWidget | null> {
  const shell = widgetShell(name, id, title, state);
  place.replaceChildren(shell);
  const { startLiveWidget, stateSearch } = await import('../embed/liveWidget');
  try {
    return await startLiveWidget(shell, { search: stateSearch(id, state), onStateChange });
  } catch (error) {
    console.error(`Exercise widget "${id}" failed to start:`, error);
    return null;
  }
}

interface ExerciseView {
  exercise: Exercise;
  item: HTMLElement;
  /** Show a saved or fresh answer. */
  show(record: ExerciseRecord, fresh: boolean): void;
  /** Back to unanswered. */
  clear(): void;
}

function setResult(item: HTMLElement, correct: boolean | null, message: string): void {
  const result = item.querySelector<HTMLElement>('[data-exercise-result]')!;
  result.textContent = message;
  if (correct === null) delete item.dataset.result;
  else item.dataset.result = correct ? 'right' : 'wrong';
}

function setExplanation(item: HTMLElement, open: boolean): void {
  item.querySelector<HTMLElement>('[data-exercise-explanation]')!.hidden = !open;
}

/** The run of a choice or numeric exercise: starts on an answer, or from a button for a saved one. */
function runPart(item: HTMLElement, exercise: Exercise) {
  const place = item.querySelector<HTMLElement>('[data-exercise-run]')!;
  let live: LiveWidget | null = null;
  let starting = false;
  const run = exercise.kind === 'widget' ? undefined : exercise.run;
  const start = async () => {
    if (!run || live || starting) return;
    starting = true;
    live = await startWidget(place, run.widget, `ex-${exercise.id}`, 'What the model does', run.state);
    starting = false;
  };
  return {
    start,
    /** A saved answer: offer the run rather than load the model for every exercise at once. */
    offer() {
      if (!run || live || starting) return;
      const button = document.createElement('button');
      button.type = 'button';
      button.className = 'exercise__check';
      button.textContent = 'Run the model';
      button.addEventListener('click', () => void start());
      place.replaceChildren(button);
    },
    stop() {
      live?.stop();
      live = null;
      place.replaceChildren();
    },
  };
}

function choiceView(exercise: Extract<Exercise, { kind: 'choice' }>, item: HTMLElement, save: (record: ExerciseRecord) => void): ExerciseView {
  const form = item.querySelector<HTMLFormElement>('[data-exercise-form]')!;
  const radios = [...form.querySelectorAll<HTMLInputElement>('input[type="radio"]')];
  const labels = radios.map((radio) => radio.closest('label')!);
  const run = runPart(item, exercise);
  const mark = (picked: number | null) => {
    labels.forEach((label, i) => {
      label.classList.toggle('exercise__choice--answer', picked !== null && i === exercise.answer);
      label.classList.toggle('exercise__choice--wrong', picked !== null && i === picked && i !== exercise.answer);
      label.querySelector('.exercise__verdict')?.remove();
      if (picked === null || (i !== exercise.answer && i !== picked)) return;
      const verdict = document.createElement('span');
      verdict.className = 'exercise__verdict';
      verdict.textContent = i === exercise.answer ? ' ✓ right answer' : ' ✗ your prediction';
      label.append(verdict);
    });
  };
  const view: ExerciseView = {
    exercise,
    item,
    show(record, fresh) {
      const picked = record.answer as number;
      radios.forEach((radio, i) => (radio.checked = i === picked));
      mark(picked);
      setResult(item, record.correct, record.correct ? 'Right.' : 'Not quite: the right answer is marked ✓.');
      setExplanation(item, true);
      if (fresh) void run.start();
      else run.offer();
    },
    clear() {
      radios.forEach((radio) => (radio.checked = false));
      mark(null);
      setResult(item, null, '');
      setExplanation(item, false);
      run.stop();
    },
  };
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const picked = radios.findIndex((radio) => radio.checked);
    if (picked < 0) return setResult(item, null, 'Pick one first.');
    const record = { correct: checkChoice(exercise, picked), answer: picked };
    save(record);
    view.show(record, true);
  });
  return view;
}

function numericView(exercise: Extract<Exercise, { kind: 'numeric' }>, item: HTMLElement, save: (record: ExerciseRecord) => void): ExerciseView {
  const form = item.querySelector<HTMLFormElement>('[data-exercise-form]')!;
  const input = form.querySelector<HTMLInputElement>('input')!;
  const run = runPart(item, exercise);
  const unit = exercise.unit ? ` ${exercise.unit}` : '';
  // Formatted when an answer is shown, not when the page starts: the first toLocaleString of a page
  // loads the number formatting data (about 30 ms of the main thread on load, measured in a profile
  // of 02-attention), for a line the reader sees only after answering.
  const answerLine = () => {
    const answerText = `${exercise.answer.toLocaleString('en-US', { maximumFractionDigits: 6 })}${unit}`;
    const within = exercise.tolerance > 0 ? ` (within ±${exercise.tolerance.toLocaleString('en-US', { maximumFractionDigits: 6 })})` : '';
    return `${answerText}${within}`;
  };
  const view: ExerciseView = {
    exercise,
    item,
    show(record, fresh) {
      input.value = String(record.answer);
      input.setAttribute('aria-invalid', String(!record.correct));
      setResult(item, record.correct, record.correct ? `Right: ${answerLine()}.` : `Not quite: the answer is ${answerLine()}.`);
      setExplanation(item, true);
      if (fresh) void run.start();
      else run.offer();
    },
    clear() {
      input.value = '';
      input.removeAttribute('aria-invalid');
      setResult(item, null, '');
      setExplanation(item, false);
      run.stop();
    },
  };
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const given = parseNumber(input.value);
    if (given === null) {
      input.setAttribute('aria-invalid', 'true');
      return setResult(item, null, 'Type one number, such as 1024, 1,024, 0.25 or 6.7e9.');
    }
    const record = { correct: checkNumeric(exercise, given), answer: given };
    save(record);
    view.show(record, true);
  });
  return view;
}

function widgetView(exercise: WidgetExercise, item: HTMLElement, save: (record: ExerciseRecord) => void): ExerciseView {
  const goalList = item.querySelector<HTMLElement>('[data-exercise-goal]')!;
  const place = item.querySelector<HTMLElement>('[data-exercise-run]')!;
  const start = exercise.start ?? {};
  let live: LiveWidget | null = null;
  let reached = false;

  const showGoal = (state: WidgetSettings) => {
    goalList.replaceChildren(
      ...goalProgress(exercise.goal, state).map((part) => {
        const line = document.createElement('li');
        line.className = part.met ? 'exercise__goal-part exercise__goal-part--met' : 'exercise__goal-part';
        line.textContent = `${part.met ? '✓' : '○'} ${part.wanted}`;
        return line;
      }),
    );
  };
  const check = (state: WidgetSettings) => {
    showGoal(state);
    if (reached || !goalMet(exercise.goal, state)) return;
    const record = { correct: true, answer: { ...state } };
    save(record);
    view.show(record, true);
  };
  // The figure's place keeps, from the start, about the room the figure will take (its embed page's
  // measured height), so the page below does not move when the figure starts near the viewport.
  // It stays as a minimum: a figure that draws a little shorter must not pull the page up.
  const reserved = embedHeight(exercise.widget);
  if (reserved !== undefined) {
    place.style.minHeight = `${reserved}px`;
    place.classList.add('exercise__run--reserved');
  }
  const begin = async () => {
    live = await startWidget(place, exercise.widget, `ex-${exercise.id}`, 'Your figure', start, check);
    if (live) showGoal(live.state);
  };
  const view: ExerciseView = {
    exercise,
    item,
    show(record, fresh) {
      reached = true;
      setResult(item, true, fresh ? 'Goal reached.' : 'You reached this goal before; the figure starts again from the beginning.');
      setExplanation(item, true);
    },
    clear() {
      reached = false;
      setResult(item, null, '');
      setExplanation(item, false);
      if (live) void live.restart(start).then(() => live && showGoal(live.state));
    },
  };
  showGoal(start);
  const observer = new IntersectionObserver(
    (entries) => {
      if (!entries.some((entry) => entry.isIntersecting)) return;
      observer.disconnect();
      void begin();
    },
    { rootMargin: `${LOAD_AHEAD} 0px` },
  );
  observer.observe(item);
  return view;
}

function startSection(section: HTMLElement): void {
  const chapterId = section.dataset.exercises!;
  const storage = browserStorage();
  const progressLine = section.querySelector<HTMLElement>('[data-exercises-progress]')!;
  const items = [...section.querySelectorAll<HTMLElement>('[data-exercise]')];
  const ids = items.map((item) => (JSON.parse(item.dataset.exercise!) as Exercise).id);
  let progress: ChapterProgress = loadProgress(storage, chapterId);

  const showProgress = () => {
    const { answered, right } = progressSummary(progress, ids);
    progressLine.textContent = answered === 0 ? `${ids.length} exercises.` : `${answered} of ${ids.length} answered, ${right} right.`;
  };
  const views = items.map((item) => {
    const exercise = JSON.parse(item.dataset.exercise!) as Exercise;
    const save = (record: ExerciseRecord) => {
      progress = saveAnswer(storage, chapterId, exercise.id, record);
      // the page keeps the answer even where the browser refuses to store it
      progress[exercise.id] = record;
      showProgress();
    };
    switch (exercise.kind) {
      case 'choice':
        return choiceView(exercise, item, save);
      case 'numeric':
        return numericView(exercise, item, save);
      case 'widget':
        return widgetView(exercise, item, save);
    }
  });
  for (const view of views) {
    const saved = progress[view.exercise.id];
    if (saved) view.show(saved, false);
  }
  showProgress();

  section.querySelector<HTMLButtonElement>('[data-exercises-reset]')!.addEventListener('click', () => {
    resetProgress(storage, chapterId);
    progress = {};
    for (const view of views) view.clear();
    showProgress();
    progressLine.textContent += ' Your answers were cleared.';
  });

  // A link to one exercise (#exercise-<id>) puts the keyboard there too (the chapter's layout
  // keeps it in view while the figures above it draw: src/layouts/keep-in-view.ts).
  const focusTarget = () => {
    const target = location.hash.startsWith('#exercise-') ? document.getElementById(decodeURIComponent(location.hash.slice(1))) : null;
    if (!target || !section.contains(target)) return;
    target.focus({ preventScroll: true });
  };
  focusTarget();
  addEventListener('hashchange', focusTarget);
}

for (const section of document.querySelectorAll<HTMLElement>('[data-exercises]')) startSection(section);
