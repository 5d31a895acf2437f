import { escapeHtml } from './html.js';
import type { Branding } from './layout.js';
import { postForm } from './auto-post.js';
import { messagePage } from './message-page.js';

/**
 * "Signed out", with a hidden frame per relying party to clean up, and a link back when there is
 * one, or a form posted (once the frames have loaded, autopost.js) to the party that asked.
 * `partial`: some party could not be told (SAML PartialLogout), so the page says so.
 */
export function signOutPage(b: Branding, p: { cleanups: URL[]; back?: string | undefined; post?: { action: string; fields: Record<string, string | undefined> }; partial?: boolean }): string {
  const t = b.texts;
  const frames = p.cleanups.map((u) => `<iframe class="cleanup" title="${escapeHtml(t['signout.frame'])} ${escapeHtml(u.host)}" src="${escapeHtml(u.href)}"></iframe>`).join('\n');
  const link = p.back ? `<p><a id="continue" href="${escapeHtml(p.back)}">${escapeHtml(t['signout.continue'])}</a></p>` : '';
  const form = p.post ? postForm(t['signout.continue'], p.post.action, p.post.fields) : '';
  return messagePage(b, { title: t['signout.title'], message: p.partial ? t['signout.partial'] : t['signout.message'], extra: `${frames}\n${link}${form}`, script: p.post !== undefined });
}
