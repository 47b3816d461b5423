// The chapters collection: every content/*.mdx file is one chapter of the notebook.
// Astro validates each file's frontmatter against `chapterSchema` when it syncs content, and a
// bad file stops `astro build` with a message naming the file and the field, e.g.
//   chapters → 02-tokens data does not match collection schema.
//   order: Expected type `"number"`, received `"string"`
import { defineCollection } from 'astro:content';
import { glob } from 'astro/loaders';
import { chapterSchema } from './chapterSchema';

const chapters = defineCollection({
  loader: glob({ pattern: '*.mdx', base: './content' }),
  schema: chapterSchema,
});

export const collections = { chapters };
