// Every chapter's exercises, by chapter id: the files src/exercises/<chapter-id>.ts (a chapter id
// starts with its two-digit order, as its content/ file does), each exporting `default` an
// Exercise[]. A chapter without a file has no exercises, and its page shows none.
import type { Exercise } from './types';

const files = import.meta.glob<{ default: Exercise[] }>('./[0-9][0-9]-*.ts', { eager: true });

/** Chapter id -> its exercises, in the file's order. */
export const exercisesByChapter: Readonly<Record<string, readonly Exercise[]>> = Object.fromEntries(
  Object.entries(files).map(([path, module]) => [path.replace(/^\.\/(.*)\.ts$/, '$1'), module.default]),
);

/** A chapter's exercises; none when it has no file. */
export function exercisesFor(chapterId: string): readonly Exercise[] {
  return exercisesByChapter[chapterId] ?? [];
}
