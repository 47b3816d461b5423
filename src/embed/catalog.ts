// Build-time facts about each registered widget for its embed page and oEmbed answer: the title
// and text alternative a chapter gives it (the first <Widget name="..."> in content/, in reading
// order), or a title made from its name when no chapter places it yet.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { widgetNames, type WidgetName } from '../widgets/registry';
import { widgetTitle } from './snippets';

export interface WidgetEntry {
  name: WidgetName;
  title: string;
  /** The chapter's text alternative (plain text), or a generic sentence. */
  description: string;
  /** The chapter that places it, e.g. "01-how-to-read", if any. */
  chapterId?: string;
}

const WIDGET_TAG = /<Widget\b([^>]*?)>([\s\S]*?)<\/Widget>/g;

function attribute(attributes: string, name: string): string | undefined {
  return new RegExp(`\\b${name}="([^"]*)"`).exec(attributes)?.[1];
}

/** Every <Widget> tag in the MDX sources under `contentDir`, in file-name order. */
export function widgetTags(contentDir: string): { chapterId: string; name: string; title?: string; text: string }[] {
  const files = readdirSync(contentDir).filter((file) => file.endsWith('.mdx')).sort();
  return files.flatMap((file) =>
    [...readFileSync(join(contentDir, file), 'utf8').matchAll(WIDGET_TAG)].map((match) => ({
      chapterId: file.replace(/\.mdx$/, ''),
      name: attribute(match[1], 'name') ?? '',
      title: attribute(match[1], 'title'),
      text: match[2].replace(/<[^>]*>/g, '').replace(/\s+/g, ' ').trim(),
    })),
  );
}

/** One entry per registered widget. */
export function widgetCatalog(contentDir = join(process.cwd(), 'content')): WidgetEntry[] {
  const tags = widgetTags(contentDir);
  return widgetNames.map((name) => {
    const tag = tags.find((candidate) => candidate.name === name);
    const title = tag?.title ?? widgetTitle(name);
    return {
      name,
      title,
      description: tag?.text || `${title}: an interactive figure from Glass Llama, a notebook about the inside of a language model.`,
      chapterId: tag?.chapterId,
    };
  });
}
