// Templates are plain files in templates/, shipped with the package; Mustache fills them
// (logic-less: every decision is made in the renderers, none in the files).
import { readFileSync } from 'node:fs';
import Mustache from 'mustache';

const cache = new Map<string, string>();

export function loadTemplate(name: string): string {
  let t = cache.get(name);
  if (t === undefined) {
    t = readFileSync(new URL(`../../templates/${name}`, import.meta.url), 'utf8');
    cache.set(name, t);
  }
  return t;
}

/** Renders without HTML escaping: these are config files, not web pages. */
export function renderTemplate(name: string, view: object): string {
  return Mustache.render(loadTemplate(name), view, {}, { escape: (s: string) => s });
}
