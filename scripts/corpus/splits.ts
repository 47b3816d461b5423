/** Every corpus set is split by example (never by line) into these three files. */
export const SPLITS = ['train', 'validation', 'test'] as const;
export type Split = (typeof SPLITS)[number];

/** The sets `npm run corpus` writes under data/. */
export const CORPUS_SETS = ['stories', 'notes', 'chat', 'chinese'] as const;
export type CorpusSet = (typeof CORPUS_SETS)[number];
