import { escapeHtml } from './html.js';
import { page, type Branding } from './layout.js';

/**
 * The protocol answer page: a form POSTed to the relying party by autopost.js, with a button for
 * browsers without JavaScript (ENTRA.md §2.2: fields wa, wresult, wctx to the reply URL).
 */
export function autoPostPage(b: Branding, action: string, fields: Record<string, string | undefined>): string {
  const t = b.texts;
  const body = `<h1>${escapeHtml(t['post.heading'])}</h1>
${postForm(t['post.continue'], action, fields, t['post.noScript'])}`;
  return page(b, t['post.title'], body, { script: true });
}

/** The auto-submitted form itself (with its no-script button), also used by the sign-out page. */
export function postForm(continueText: string, action: string, fields: Record<string, string | undefined>, noScript?: string): string {
  const inputs = Object.entries(fields)
    .filter((e): e is [string, string] => e[1] !== undefined)
    .map(([name, value]) => `<input type="hidden" name="${escapeHtml(name)}" value="${escapeHtml(value)}">`)
    .join('\n');
  return `<form method="post" action="${escapeHtml(action)}" data-autopost>
${inputs}
${noScript ? `<p class="manual">${escapeHtml(noScript)}</p>\n` : ''}<button type="submit" class="manual">${escapeHtml(continueText)}</button>
</form>`;
}
