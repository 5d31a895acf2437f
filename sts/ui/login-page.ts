import { escapeHtml } from './html.js';
import { page, type Branding } from './layout.js';

export interface LoginPageInput {
  branding: Branding;
  /** Form target: the same URL, so the protocol message round-trips in the query string as in AD FS. */
  action: string;
  csrfField: string;
  csrfToken: string;
  username?: string | undefined;
  error?: string | undefined;
  relyingPartyName: string;
  /** Shown with an expired / must-change answer: the update-password page for this user. */
  changePasswordUrl?: string | undefined;
  /** The certificate listener's link for this sign-in, when certificate sign-in is on. */
  certificateUrl?: string | undefined;
  /** The relying party asked for a certificate sign-in: no password form, only the certificate link. */
  certificateOnly?: boolean | undefined;
}

/**
 * The forms sign-in page. Field names are AD FS's (UserName, Password, AuthMethod) so scripts
 * written against AD FS keep working; plain HTML, labelled fields, the error tied to the inputs.
 */
export function loginPage(p: LoginPageInput): string {
  const b = p.branding;
  const described = p.error ? ' aria-describedby="errorText" aria-invalid="true"' : '';
  const body = `<h1>${escapeHtml(b.signInTitle)}</h1>
<p class="help">${escapeHtml(b.texts['login.to'])} ${escapeHtml(p.relyingPartyName)}</p>
${p.error ? `<p id="errorText" class="error" role="alert">${escapeHtml(p.error)}</p>` : ''}
${p.changePasswordUrl ? `<p><a href="${escapeHtml(p.changePasswordUrl)}" id="changePasswordLink">${escapeHtml(b.texts['login.changePassword'])}</a></p>` : ''}
${p.certificateOnly ? '' : passwordForm(p, described)}
${p.certificateUrl ? `<p class="alternative"><a href="${escapeHtml(p.certificateUrl)}" id="certificateLink">${escapeHtml(b.texts['login.certificate'])}</a></p>` : ''}
${b.helpText ? `<p class="help">${escapeHtml(b.helpText)}</p>` : ''}`;
  return page(b, b.signInTitle, body);
}

/** The user name and password form (absent when the relying party asked for a certificate). */
function passwordForm(p: LoginPageInput, described: string): string {
  const b = p.branding;
  return `<form method="post" action="${escapeHtml(p.action)}" id="loginForm" novalidate>
<input type="hidden" name="${escapeHtml(p.csrfField)}" value="${escapeHtml(p.csrfToken)}">
<input type="hidden" name="AuthMethod" value="FormsAuthentication">
<label for="userNameInput">${escapeHtml(b.texts['login.userName'])}</label>
<input id="userNameInput" name="UserName" type="email" autocomplete="username" spellcheck="false" required placeholder="${escapeHtml(b.usernameHint)}" value="${escapeHtml(p.username ?? '')}"${p.username ? '' : ' autofocus'}${described}>
<label for="passwordInput">${escapeHtml(b.texts['login.password'])}</label>
<input id="passwordInput" name="Password" type="password" autocomplete="current-password" required${p.username ? ' autofocus' : ''}${described}>
<label class="check"><input type="checkbox" name="Kmsi" value="true"> ${escapeHtml(b.texts['login.keepSignedIn'])}</label>
<button type="submit" id="submitButton">${escapeHtml(b.texts['login.submit'])}</button>
</form>`;
}
