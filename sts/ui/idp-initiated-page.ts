import { escapeHtml } from './html.js';
import type { Branding } from './layout.js';
import { messagePage } from './message-page.js';

/**
 * AD FS's IdP-initiated sign-on page: a link per application that allows it (each
 * `?loginToRp=<identifier>`), and sign-out of everything (wsignout1.0, as AD FS offers).
 */
export function idpInitiatedPage(b: Branding, p: { path: string; signOutUrl: string; parties: { identifier: string; name: string }[] }): string {
  const t = b.texts;
  const items = p.parties
    .map((rp) => `<li><a href="${escapeHtml(`${p.path}?${new URLSearchParams({ loginToRp: rp.identifier })}`)}">${escapeHtml(rp.name)}</a></li>`)
    .join('\n');
  const list = items ? `<ul id="relying-parties">\n${items}\n</ul>` : `<p>${escapeHtml(t['idp.none'])}</p>`;
  return messagePage(b, { title: t['idp.title'], message: t['idp.message'], extra: `${list}\n<p><a id="signout" href="${escapeHtml(p.signOutUrl)}">${escapeHtml(t['idp.signOut'])}</a></p>` });
}
