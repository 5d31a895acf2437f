import { escapeHtml } from './html.js';
import type { Branding } from './layout.js';
import { messagePage } from './message-page.js';

/** "Signed out", with a hidden frame per relying party to clean up, and a link back when there is one. */
export function signOutPage(b: Branding, p: { cleanups: URL[]; back?: string | undefined }): string {
  const t = b.texts;
  const frames = p.cleanups.map((u) => `<iframe class="cleanup" title="${escapeHtml(t['signout.frame'])} ${escapeHtml(u.host)}" src="${escapeHtml(u.href)}"></iframe>`).join('\n');
  const link = p.back ? `<p><a id="continue" href="${escapeHtml(p.back)}">${escapeHtml(t['signout.continue'])}</a></p>` : '';
  return messagePage(b, { title: t['signout.title'], message: t['signout.message'], extra: `${frames}\n${link}` });
}
