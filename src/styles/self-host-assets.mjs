// @ts-check
// Copies the fonts and the KaTeX stylesheet from node_modules into public/ before Astro starts,
// so every font and stylesheet is served by this site and no request leaves the origin.
// The copies are build outputs (git-ignored): node_modules stays the single source.
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);

/**
 * Directory of an installed package (resolved through its package.json).
 * @param {string} name
 */
function packageDir(name) {
  return dirname(require.resolve(`${name}/package.json`));
}

/**
 * The KaTeX that a package resolves (`from` is a directory inside node_modules or the project root).
 * @param {string} from
 * @returns {{ version: string, dir: string }}
 */
export function katexResolvedFrom(from) {
  const manifest = createRequire(join(from, 'package.json')).resolve('katex/package.json');
  return { version: JSON.parse(readFileSync(manifest, 'utf8')).version, dir: dirname(manifest) };
}

/**
 * Fails the build when the KaTeX whose stylesheet the pages load is not the KaTeX that renders
 * the formulas (rehype-katex's own dependency): the HTML of one version under the CSS of another
 * draws sub- and superscripts at full size and breaks symbols such as \neq.
 * @param {string} projectDir the directory whose package.json lists katex and rehype-katex
 */
export function assertOneKatex(projectDir) {
  const stylesheet = katexResolvedFrom(projectDir);
  // rehype-katex exports only its entry (index.js, at the package root), not its package.json.
  const rehypeKatexDir = dirname(createRequire(join(projectDir, 'package.json')).resolve('rehype-katex'));
  const renderer = katexResolvedFrom(rehypeKatexDir);
  if (stylesheet.version !== renderer.version) {
    throw new Error(
      `KaTeX version mismatch: the stylesheet would come from katex ${stylesheet.version} (${stylesheet.dir}) ` +
        `but rehype-katex renders with katex ${renderer.version} (${renderer.dir}). ` +
        `Set "katex" in package.json to exactly ${renderer.version} (the "overrides" entry keeps every copy on it) and run npm install.`,
    );
  }
  return stylesheet;
}

/** The woff2 files that src/styles/fonts.css declares: [package, file in its files/ folder]. */
export const FONT_FILES = [
  ['@fontsource-variable/source-serif-4', 'source-serif-4-latin-wght-normal.woff2'],
  ['@fontsource-variable/source-serif-4', 'source-serif-4-latin-wght-italic.woff2'],
  ['@fontsource-variable/inter', 'inter-latin-wght-normal.woff2'],
  ['@fontsource-variable/jetbrains-mono', 'jetbrains-mono-latin-wght-normal.woff2'],
];

/**
 * Put `source`'s bytes at `target` unless they are there already. The bytes go to a file of this
 * process's own and are renamed into place, so two Astro processes starting at once (`npm test`
 * runs `astro sync` for the type check beside `astro build`) never see a half-written or missing
 * file (removing and copying the whole folder made one of them fail with ENOTEMPTY).
 * @param {string} source
 * @param {string} target
 */
function syncFile(source, target) {
  const bytes = readFileSync(source);
  try {
    if (readFileSync(target).equals(bytes)) return;
  } catch {
    // not there yet
  }
  const partial = `${target}.${process.pid}.partial`;
  writeFileSync(partial, bytes);
  renameSync(partial, target);
}

/**
 * Copy KaTeX's CSS (font-display: swap variant) and fonts to public/katex, fonts to public/fonts.
 * A font that KaTeX no longer ships (after an upgrade) is removed.
 * @param {string} publicDir
 * @param {string} projectDir the project root (its package.json lists katex and rehype-katex)
 */
export function copySelfHostedAssets(publicDir, projectDir) {
  const katexDist = join(assertOneKatex(projectDir).dir, 'dist');
  const katexOut = join(publicDir, 'katex');
  mkdirSync(join(katexOut, 'fonts'), { recursive: true });
  // katex-swap.min.css is katex.min.css with font-display: swap, so text never waits on a font.
  syncFile(join(katexDist, 'katex-swap.min.css'), join(katexOut, 'katex.min.css'));
  // Only woff2 is copied: every browser that runs WebGPU/WASM reads woff2, which the CSS lists first.
  const katexFonts = readdirSync(join(katexDist, 'fonts')).filter((file) => file.endsWith('.woff2'));
  for (const file of katexFonts) syncFile(join(katexDist, 'fonts', file), join(katexOut, 'fonts', file));
  for (const file of readdirSync(join(katexOut, 'fonts'))) {
    if (!katexFonts.includes(file) && !file.endsWith('.partial')) rmSync(join(katexOut, 'fonts', file), { force: true });
  }

  const fontsOut = join(publicDir, 'fonts');
  mkdirSync(fontsOut, { recursive: true });
  for (const [pkg, file] of FONT_FILES) syncFile(join(packageDir(pkg), 'files', file), join(fontsOut, file));
}

/**
 * Astro integration: run the copy whenever Astro starts (dev, build, preview).
 * @returns {import('astro').AstroIntegration}
 */
export function selfHostAssets() {
  return {
    name: 'glass-llama:self-host-assets',
    hooks: {
      'astro:config:setup': ({ config }) => copySelfHostedAssets(fileURLToPath(config.publicDir), fileURLToPath(config.root)),
    },
  };
}
