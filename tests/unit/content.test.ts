// The chapters collection: the frontmatter schema, and that `astro build` stops on a bad chapter
// with a message naming the file and the field.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { chapterSchema } from '../../src/chapterSchema';

const REPO_ROOT = resolve(import.meta.dirname, '..', '..');

const valid = { title: 'Tokens', summary: 'How text becomes numbers.', order: 2 };

/** The first issue zod reports, as "path: message". */
function firstIssue(frontmatter: unknown): string {
  const result = chapterSchema.safeParse(frontmatter);
  if (result.success) return 'valid';
  const [issue] = result.error.issues;
  return `${issue.path.join('.')}: ${issue.message}`;
}

describe('chapterSchema', () => {
  test('accepts a minimal chapter and fills the defaults', () => {
    expect(chapterSchema.parse(valid)).toEqual({ ...valid, draft: false, prerequisites: [] });
  });

  test.each([
    [{ ...valid, order: 'two' }, 'order: Expected number, received string'],
    [{ ...valid, order: 1.5 }, 'order: order must be a whole number'],
    [{ ...valid, order: 0 }, 'order: order starts at 1'],
    [{ ...valid, title: '  ' }, 'title: title must not be empty'],
    [{ ...valid, summary: 'x'.repeat(201) }, 'summary: summary must be one line of at most 200 characters'],
    [{ ...valid, summary: 'First line\nsecond line' }, 'summary: summary must be a single line'],
    [{ title: 'Tokens', order: 2 }, 'summary: Required'],
    [{ ...valid, summery: 'typo' }, ": Unrecognized key(s) in object: 'summery'"],
    [{ ...valid, goals: ['Read a heatmap', 'Compute a softmax'] }, 'goals: give 3 to 5 goals'],
    [{ ...valid, goals: ['a', 'b', 'c', 'd', 'e', 'f'] }, 'goals: give 3 to 5 goals'],
    [{ ...valid, goals: ['a', ' ', 'c'] }, 'goals.1: a goal must not be empty'],
    [{ ...valid, prerequisites: 'ch2' }, 'prerequisites: Expected array, received string'],
  ])('rejects %j with "%s"', (frontmatter, message) => {
    expect(firstIssue(frontmatter)).toBe(message);
  });
});

describe('a chapter with a bad frontmatter', () => {
  // A throwaway Astro project inside the repository (so it finds node_modules) with the real
  // schema and one broken chapter.
  mkdirSync(join(REPO_ROOT, 'tmp'), { recursive: true });
  const project = mkdtempSync(join(REPO_ROOT, 'tmp', 'bad-chapter-'));
  afterAll(() => rmSync(project, { recursive: true, force: true }));

  test('fails `astro build` with a message naming the file and the field', () => {
    mkdirSync(join(project, 'src'));
    mkdirSync(join(project, 'content'));
    writeFileSync(join(project, 'astro.config.mjs'), "import mdx from '@astrojs/mdx';\nexport default { integrations: [mdx()] };\n");
    // The project's content config is the real one: same loader, same schema.
    writeFileSync(join(project, 'src', 'content.config.ts'), readFileSync(join(REPO_ROOT, 'src', 'content.config.ts'), 'utf8'));
    writeFileSync(join(project, 'src', 'chapterSchema.ts'), readFileSync(join(REPO_ROOT, 'src', 'chapterSchema.ts'), 'utf8'));
    writeFileSync(join(project, 'content', '02-tokens.mdx'), '---\ntitle: Tokens\nsummary: How text becomes numbers.\norder: "two"\n---\n\nText.\n');

    let output = '';
    let exitCode = 0;
    try {
      execFileSync(process.execPath, [join(REPO_ROOT, 'node_modules', 'astro', 'astro.js'), 'build'], {
        cwd: project,
        stdio: 'pipe',
        env: { ...process.env, ASTRO_TELEMETRY_DISABLED: '1', NO_COLOR: '1' },
      });
    } catch (error) {
      const failure = error as { status: number; stdout: Buffer; stderr: Buffer };
      exitCode = failure.status;
      output = `${failure.stdout}${failure.stderr}`;
    }
    expect(exitCode).not.toBe(0);
    expect(output).toContain('chapters → 02-tokens data does not match collection schema');
    expect(output).toContain('order: Expected type `"number"`, received `"string"`');
    expect(output).toContain(join(project, 'content', '02-tokens.mdx'));
    expect(readdirSync(project)).not.toContain('dist');
  });
});
