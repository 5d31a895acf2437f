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

export function oidcErrorPage(b: Branding, reference: string): string {
  return messagePage(b, { title: b.texts['oidc.errorTitle'], message: b.texts['oidc.error'], reference });
}
