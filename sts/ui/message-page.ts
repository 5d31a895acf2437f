import { escapeHtml } from './html.js';
import { page, type Branding } from './layout.js';

/** A branded page with a heading and a message (errors, signed-out). */
export function messagePage(b: Branding, p: { title: string; message: string; reference?: string | undefined; extra?: string; script?: boolean }): string {
  const ref = p.reference ? `<p class="help">${escapeHtml(b.texts['page.reference'])}: <code>${escapeHtml(p.reference)}</code></p>` : '';
  return page(b, p.title, `<h1>${escapeHtml(p.title)}</h1>\n<p role="status">${escapeHtml(p.message)}</p>\n${ref}${p.extra ?? ''}`, { script: p.script ?? false });
}
