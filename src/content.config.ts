// The chapters collection: every content/*.mdx file is one chapter of the notebook.
// Astro validates each file's frontmatter against `chapterSchema` when it syncs content, and a
// bad file stops `astro build` with a message naming the file and the field, e.g.
//   chapters → 02-tokens data does not match collection schema.
//   order: Expected type `"number"`, received `"string"`
import { defineCollection, z } from 'astro:content';
import { glob } from 'astro/loaders';

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
    /** Whether the chapter also has a slide deck (the slides route reads this). */
    slides: z.boolean().default(false),
  })
  .strict();

export type ChapterFrontmatter = z.infer<typeof chapterSchema>;

const chapters = defineCollection({
  loader: glob({ pattern: '*.mdx', base: './content' }),
  schema: chapterSchema,
});

export const collections = { chapters };
