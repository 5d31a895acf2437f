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
  const body = `<h1>Signing you in…</h1>
<form method="post" action="${escapeHtml(action)}" data-autopost>
${inputs}
<p class="manual">Your browser is not running scripts. Select Continue to go on.</p>
<button type="submit" class="manual">Continue</button>
</form>`;
  return page(b, 'Working…', body, { script: true });
}
