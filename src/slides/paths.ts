// The deck pages' routes: one per published chapter, with the chapter as a prop.
import { getChapters, type Chapter } from '../layouts/chapters';

export async function deckPaths(): Promise<{ params: { id: string }; props: { chapter: Chapter } }[]> {
  const chapters = await getChapters();
  return chapters.map((chapter) => ({ params: { id: chapter.id }, props: { chapter } }));
}
