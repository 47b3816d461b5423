// The reading order of the notebook: the published chapters, sorted by their `order` field.
import { getCollection, type CollectionEntry } from 'astro:content';

export type Chapter = CollectionEntry<'chapters'>;

/** URL of a chapter page. */
export function chapterHref(chapter: Chapter): string {
  return `/chapters/${chapter.id}/`;
}

/**
 * Published chapters in reading order. Drafts appear only under `astro dev`.
 * Two chapters with the same `order` stop the build, naming both files.
 */
export async function getChapters(): Promise<Chapter[]> {
  const chapters = await getCollection('chapters', (entry) => import.meta.env.DEV || !entry.data.draft);
  chapters.sort((a, b) => a.data.order - b.data.order);
  for (let i = 1; i < chapters.length; i++) {
    if (chapters[i].data.order === chapters[i - 1].data.order) {
      throw new Error(
        `content/${chapters[i - 1].id}.mdx and content/${chapters[i].id}.mdx both have order: ${chapters[i].data.order}. ` +
          'Each chapter needs its own position in the reading order.',
      );
    }
  }
  const ids = new Set(chapters.map((c) => c.id));
  for (const chapter of chapters) {
    for (const id of chapter.data.prerequisites) {
      if (!ids.has(id)) {
        throw new Error(
          `content/${chapter.id}.mdx lists the prerequisite "${id}", which is not a published chapter ` +
            `(known: ${[...ids].join(', ')}).`,
        );
      }
    }
  }
  return chapters;
}
