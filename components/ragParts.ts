// Pieces the retrieval chapter's widgets share: the stories they retrieve from.

/** Written by scripts/make-validation-sample.ts: 16 stories of the validation split, which the model never trained on. */
const STORIES_URL = `${import.meta.env.BASE_URL}data/validation-sample.json`;

let stories: Promise<string[]> | null = null;

/** The 16 validation stories, fetched once per page. */
export function loadStories(): Promise<string[]> {
  stories ??= fetch(STORIES_URL).then(async (response) => {
    if (!response.ok) {
      stories = null;
      throw new Error(`Could not load ${STORIES_URL}: HTTP ${response.status}`);
    }
    return ((await response.json()) as { texts: string[] }).texts;
  });
  return stories;
}

/** Written by scripts/make-active-learning-pool.ts. */
const POOL_URL = `${import.meta.env.BASE_URL}data/active-learning-pool.json`;

export interface ActiveLearningData {
  pool: string[];
  kinds: ('story' | 'note')[];
  heldOut: string[];
  heldOutKinds: ('story' | 'note')[];
}

let pool: Promise<ActiveLearningData> | null = null;

/** The active-learning pool and held-out texts, fetched once per page. */
export function loadActiveLearningPool(): Promise<ActiveLearningData> {
  pool ??= fetch(POOL_URL).then(async (response) => {
    if (!response.ok) {
      pool = null;
      throw new Error(`Could not load ${POOL_URL}: HTTP ${response.status}`);
    }
    return (await response.json()) as ActiveLearningData;
  });
  return pool;
}
