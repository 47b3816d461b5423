// The exercises section of a chapter page as HTML, rendered at build time by the chapter layout
// (src/layouts/ChapterLayout.astro puts it before the Summary). Maths in the text ($...$) is drawn
// by KaTeX here, so the page carries no maths code; the controls come alive in
// src/exercises/client.ts, which reads each exercise from its data-exercise attribute.
import katex from 'katex';
import { exerciseAnchor } from './check';
import type { Exercise } from './types';

/** The id of the section's heading, for the contents and a link to all of a chapter's exercises. */
export const EXERCISES_HEADING_ID = 'exercises';

function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** Plain text with `$...$` inline maths as HTML: the text escaped, the maths drawn by KaTeX. */
export function textWithMaths(text: string): string {
  const parts = text.split(/(?<!\\)\$/);
  if (parts.length % 2 === 0) throw new Error(`An unpaired $ in exercise text: ${JSON.stringify(text)}`);
  return parts
    .map((part, i) => (i % 2 === 0 ? escapeHtml(part.replace(/\\\$/g, '$')) : katex.renderToString(part, { throwOnError: true, output: 'htmlAndMathml' })))
    .join('');
}

/** What each kind asks the reader to do, shown above its prompt. */
export const KIND_LABELS: Record<Exercise['kind'], string> = {
  choice: 'Predict, then run',
  numeric: 'Work it out',
  widget: 'Set the figure',
};

function answerForm(exercise: Exercise, anchor: string): string {
  switch (exercise.kind) {
    case 'choice': {
      const options = exercise.choices
        .map(
          (choice, i) =>
            `<label class="exercise__choice"><input type="radio" name="${anchor}-choice" value="${i}" required /><span>${textWithMaths(choice)}</span></label>`,
        )
        .join('');
      return (
        `<form class="exercise__form" data-exercise-form data-pagefind-ignore>` +
        `<fieldset class="exercise__choices"><legend class="visually-hidden">Your prediction</legend>${options}</fieldset>` +
        `<button type="submit" class="exercise__check">Check and run</button></form>`
      );
    }
    case 'numeric': {
      const unit = exercise.unit ? `<span class="exercise__unit">${escapeHtml(exercise.unit)}</span>` : '';
      return (
        `<form class="exercise__form" data-exercise-form data-pagefind-ignore>` +
        `<label class="exercise__number"><span>Your answer</span> <span class="exercise__number-row">` +
        `<input type="text" inputmode="decimal" autocomplete="off" spellcheck="false" required aria-describedby="${anchor}-result" />${unit}</span></label>` +
        `<button type="submit" class="exercise__check">Check</button></form>`
      );
    }
    case 'widget':
      return `<ul class="exercise__goal" data-exercise-goal aria-label="The goal" data-pagefind-ignore></ul>`;
  }
}

function exerciseHtml(exercise: Exercise, number: number): string {
  const anchor = exerciseAnchor(exercise.id);
  return (
    `<li class="exercise exercise--${exercise.kind}" id="${anchor}" tabindex="-1" aria-labelledby="${anchor}-label" data-exercise="${escapeHtml(JSON.stringify(exercise))}">` +
    `<p class="exercise__head"><span class="exercise__label" id="${anchor}-label">Exercise ${number} · ${KIND_LABELS[exercise.kind]}</span>` +
    `<a class="exercise__link" href="#${anchor}" data-pagefind-ignore>Link<span class="visually-hidden"> to exercise ${number}</span></a></p>` +
    `<div class="exercise__prompt">${textWithMaths(exercise.prompt)}</div>` +
    answerForm(exercise, anchor) +
    `<p class="exercise__result" id="${anchor}-result" role="status" data-exercise-result data-pagefind-ignore></p>` +
    `<div class="exercise__explanation" data-exercise-explanation hidden><p>${textWithMaths(exercise.explanation)}</p></div>` +
    `<div class="exercise__run" data-exercise-run data-pagefind-ignore></div>` +
    `</li>`
  );
}

/** The section: heading, progress line, Reset, and one item per exercise. Empty string for none. */
export function exercisesHtml(chapterId: string, exercises: readonly Exercise[]): string {
  if (exercises.length === 0) return '';
  return (
    `<section class="exercises" data-exercises="${escapeHtml(chapterId)}" aria-labelledby="${EXERCISES_HEADING_ID}">` +
    `<h2 id="${EXERCISES_HEADING_ID}">Exercises</h2>` +
    `<p class="exercises__intro">Answer, then let the model show you. Your answers are kept in this browser only.</p>` +
    `<div class="exercises__bar" data-pagefind-ignore><p class="exercises__progress" data-exercises-progress aria-live="polite"></p>` +
    `<button type="button" class="exercises__reset" data-exercises-reset>Reset my answers</button></div>` +
    `<noscript><p class="exercises__intro">Checking an answer needs JavaScript.</p></noscript>` +
    `<ol class="exercises__list">${exercises.map((exercise, i) => exerciseHtml(exercise, i + 1)).join('')}</ol>` +
    `</section>`
  );
}

/**
 * `body` (a chapter's rendered HTML) with the exercises section placed before its Summary (the
 * `<h2 id="summary">`), or at its end when it has none.
 */
export function withExercises(body: string, section: string): string {
  if (section === '') return body;
  const summary = /<h2\s[^>]*?\bid="summary"[^>]*>/.exec(body);
  return summary ? body.slice(0, summary.index) + section + body.slice(summary.index) : body + section;
}
