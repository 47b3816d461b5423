// The reader's progress through a chapter's exercises, kept in the browser (localStorage, one entry
// per chapter) so it survives a reload; "Reset" forgets it. Nothing leaves the page. The storage is
// passed in, so tests use a Map-backed one; where the browser refuses storage (a sandboxed frame,
// a private window that throws), progress simply is not kept.
import type { WidgetSettings } from './types';

/** What the reader last answered: the choice's index, the number typed, or the widget's state. */
export interface ExerciseRecord {
  correct: boolean;
  answer: number | WidgetSettings;
}

/** Exercise id -> the reader's last answer. */
export type ChapterProgress = Record<string, ExerciseRecord>;

/** The part of the Web Storage interface used here. */
export type ProgressStorage = Pick<Storage, 'getItem' | 'setItem' | 'removeItem'>;

/** The localStorage key of a chapter's progress. */
export function progressKey(chapterId: string): string {
  return `glass-llama:exercises:${chapterId}`;
}

function isRecord(value: unknown): value is ExerciseRecord {
  if (typeof value !== 'object' || value === null) return false;
  const { correct, answer } = value as Record<string, unknown>;
  const answerOk = typeof answer === 'number' ? Number.isFinite(answer) : typeof answer === 'object' && answer !== null && !Array.isArray(answer);
  return typeof correct === 'boolean' && answerOk;
}

/** The saved progress of a chapter; entries that are not well-formed (an edited or old store) are dropped. */
export function loadProgress(storage: ProgressStorage | null, chapterId: string): ChapterProgress {
  let raw: string | null = null;
  try {
    raw = storage?.getItem(progressKey(chapterId)) ?? null;
  } catch {
    return {};
  }
  if (!raw) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return {};
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return {};
  return Object.fromEntries(Object.entries(parsed).filter(([, record]) => isRecord(record))) as ChapterProgress;
}

/** Save one answer; returns the chapter's progress with it. A refused write keeps it for this page only. */
export function saveAnswer(storage: ProgressStorage | null, chapterId: string, exerciseId: string, record: ExerciseRecord): ChapterProgress {
  const progress = { ...loadProgress(storage, chapterId), [exerciseId]: record };
  try {
    storage?.setItem(progressKey(chapterId), JSON.stringify(progress));
  } catch {
    // quota or a refused store: the answer still shows on this page
  }
  return progress;
}

/** Forget a chapter's progress. */
export function resetProgress(storage: ProgressStorage | null, chapterId: string): void {
  try {
    storage?.removeItem(progressKey(chapterId));
  } catch {
    // nothing was kept
  }
}

/** "2 of 5 right": the summary line above a chapter's exercises. */
export function progressSummary(progress: ChapterProgress, exerciseIds: readonly string[]): { answered: number; right: number } {
  const records = exerciseIds.map((id) => progress[id]).filter((record): record is ExerciseRecord => record !== undefined);
  return { answered: records.length, right: records.filter((record) => record.correct).length };
}

/** The browser's localStorage, or null where reading it throws (a sandboxed frame). */
export function browserStorage(): ProgressStorage | null {
  try {
    return globalThis.localStorage ?? null;
  } catch {
    return null;
  }
}
