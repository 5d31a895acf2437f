import { escapeHtml } from './html.js';
import { page, type Branding } from './layout.js';

/**
 * The protocol answer page: a form POSTed to the relying party by autopost.js, with a button for
 * browsers without JavaScript (ENTRA.md §2.2: fields wa, wresult, wctx to the reply URL).
 */
export function autoPostPage(b: Branding, action: string, fields: Record<string, string | undefined>): string {
  const inputs = Object.entries(fields)
    .filter((e): e is [string, string] => e[1] !== undefined)
    .map(([name, value]) => `<input type="hidden" name="${escapeHtml(name)}" value="${escapeHtml(value)}">`)
    .join('\n');
  const t = b.texts;
  const body = `<h1>${escapeHtml(t['post.heading'])}</h1>
<form method="post" action="${escapeHtml(action)}" data-autopost>
${inputs}
<p class="manual">${escapeHtml(t['post.noScript'])}</p>
<button type="submit" class="manual">${escapeHtml(t['post.continue'])}</button>
</form>`;
  return page(b, t['post.title'], body, { script: true });
}
