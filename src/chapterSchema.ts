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
  })
  .strict();

export type ChapterFrontmatter = z.infer<typeof chapterSchema>;
