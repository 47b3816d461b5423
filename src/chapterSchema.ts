// The frontmatter every chapter (content/*.mdx) must have. Kept apart from content.config.ts so
// unit tests can check it without Astro's virtual modules.
import { z } from 'astro/zod';

export const chapterSchema = z
  .object({
    /** Shown as the page's <h1>, in the chapter list and in the browser tab. */
    title: z.string().trim().min(1, 'title must not be empty'),
    /** One sentence for the home page and the chapter list (no line breaks). */
    summary: z
      .string()
      .trim()
      .min(1, 'summary must not be empty')
      .max(200, 'summary must be one line of at most 200 characters')
      .refine((text) => !text.includes('\n'), 'summary must be a single line'),
    /** Position in the reading order: 1 is the first chapter. Unique across chapters. */
    order: z.number().int('order must be a whole number').min(1, 'order starts at 1'),
    /** Drafts are built by `astro dev` but left out of `astro build`. */
    draft: z.boolean().default(false),
    /**
     * The "You will learn" box under the title: 3 to 5 concrete outcomes, each one plain-text line
     * ("Compute the size of a KV cache from a config"). Every chapter will have one (issue 23);
     * optional until the older chapters are given theirs.
     */
    goals: z
      .array(
        z
          .string()
          .trim()
          .min(1, 'a goal must not be empty')
          .max(160, 'a goal is one line of at most 160 characters'),
      )
      .min(3, 'give 3 to 5 goals')
      .max(5, 'give 3 to 5 goals')
      .optional(),
    /**
     * Chapters to read first, by id (the file name without .mdx, e.g. "02-attention"). Shown as
     * links under the goals; an id that names no chapter stops the build (src/layouts/chapters.ts).
     */
    prerequisites: z.array(z.string().trim().min(1)).default([]),
  })
  .strict();

export type ChapterFrontmatter = z.infer<typeof chapterSchema>;
