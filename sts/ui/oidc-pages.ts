import { escapeHtml } from './html.js';
import { page, type Branding } from './layout.js';
import { messagePage } from './message-page.js';

/*
 * The pages of OpenID Connect's own steps (device code entry and confirmation, sign-out, errors),
 * in the look of the login page. `form` is the provider's form (its action and xsrf value, already
 * escaped by the provider); our buttons submit it through the `form` attribute.
 */

export function deviceCodePage(b: Branding, p: { form: string; error: boolean }): string {
  const t = b.texts;
  const body = `<h1>${escapeHtml(t['device.title'])}</h1>
${p.error ? `<p id="errorText" class="error" role="alert">${escapeHtml(t['device.wrongCode'])}</p>` : `<p>${escapeHtml(t['device.enter'])}</p>`}
<label for="userCodeInput">${escapeHtml(t['device.code'])}</label>
${p.form.replace('name="user_code"', 'id="userCodeInput" name="user_code"')}
<button type="submit" id="continueButton" form="op.deviceInputForm">${escapeHtml(t['device.continue'])}</button>`;
  return page(b, t['device.title'], body);
}

export function deviceConfirmPage(b: Branding, p: { form: string; clientName: string; userCode: string }): string {
  const t = b.texts;
  const body = `<h1>${escapeHtml(t['device.title'])}</h1>
<p>${escapeHtml(t['device.confirm'])}</p>
<p><strong>${escapeHtml(p.clientName)}</strong></p>
<p><code id="userCode">${escapeHtml(p.userCode)}</code></p>
${p.form}
<button type="submit" id="confirmButton" form="op.deviceConfirmForm">${escapeHtml(t['device.continue'])}</button>
<button type="submit" id="abortButton" form="op.deviceConfirmForm" name="abort" value="yes">${escapeHtml(t['device.abort'])}</button>`;
  return page(b, t['device.title'], body);
}

export function deviceDonePage(b: Branding, aborted = false): string {
  return messagePage(b, { title: b.texts['device.title'], message: b.texts[aborted ? 'device.aborted' : 'device.done'] });
}

/**
 * RP-initiated logout: a hidden frame per party of the ended SSO session (WS-Federation, SAML and
 * front-channel logout URIs alike), then the provider's logout confirmation submitted by
 * autopost.js once the frames have loaded (it waits for them on a page with cleanup frames) (AD FS asks no question at sign-out), with a button
 * for browsers without scripts.
 */
export function oidcSignOutPage(b: Branding, p: { cleanups: URL[]; action: string; xsrf: string }): string {
  const t = b.texts;
  const frames = p.cleanups.map((u) => `<iframe class="cleanup" title="${escapeHtml(t['signout.frame'])} ${escapeHtml(u.host)}" src="${escapeHtml(u.href)}"></iframe>`).join('\n');
  const form = `<form method="post" action="${escapeHtml(p.action)}" data-autopost>
<input type="hidden" name="xsrf" value="${escapeHtml(p.xsrf)}">
<input type="hidden" name="logout" value="yes">
<p class="manual">${escapeHtml(t['post.noScript'])}</p>
<button type="submit" class="manual">${escapeHtml(t['signout.continue'])}</button>
</form>`;
  return page(b, t['signout.title'], `<h1>${escapeHtml(t['signout.title'])}</h1>\n<p role="status">${escapeHtml(t['signout.message'])}</p>\n${frames}\n${form}`, { script: true });
}

export function oidcErrorPage(b: Branding, reference: string): string {
  return messagePage(b, { title: b.texts['oidc.errorTitle'], message: b.texts['oidc.error'], reference });
}
