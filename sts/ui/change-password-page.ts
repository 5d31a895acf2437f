import { escapeHtml } from './html.js';
import { page, type Branding } from './layout.js';

export interface ChangePasswordPageInput {
  branding: Branding;
  action: string;
  csrfField: string;
  csrfToken: string;
  username?: string | undefined;
  /** Checked by the caller: a path on our own /adfs/ls/. */
  returnUrl?: string | undefined;
  error?: string | undefined;
}

/**
 * AD FS's update-password form. Field names are AD FS's (UserName, OldPassword, NewPassword,
 * ConfirmNewPassword); autocomplete tokens let password managers store the new one.
 */
export function changePasswordPage(p: ChangePasswordPageInput): string {
  const b = p.branding;
  const t = b.texts;
  const described = p.error ? ' aria-describedby="errorText" aria-invalid="true"' : '';
  const field = (id: string, name: string, label: string, type: string, autocomplete: string, extra = '') =>
    `<label for="${id}">${escapeHtml(label)}</label>\n<input id="${id}" name="${name}" type="${type}" autocomplete="${autocomplete}" required${extra}${described}>`;
  const body = `<h1>${escapeHtml(t['password.title'])}</h1>
${p.error ? `<p id="errorText" class="error" role="alert">${escapeHtml(p.error)}</p>` : ''}
<form method="post" action="${escapeHtml(p.action)}" id="updatePasswordForm" novalidate>
<input type="hidden" name="${escapeHtml(p.csrfField)}" value="${escapeHtml(p.csrfToken)}">
${p.returnUrl ? `<input type="hidden" name="returnUrl" value="${escapeHtml(p.returnUrl)}">` : ''}
${field('userNameInput', 'UserName', t['login.userName'], 'email', 'username', ` spellcheck="false" placeholder="${escapeHtml(b.usernameHint)}" value="${escapeHtml(p.username ?? '')}"${p.username ? '' : ' autofocus'}`)}
${field('oldPasswordInput', 'OldPassword', t['password.old'], 'password', 'current-password', p.username ? ' autofocus' : '')}
${field('newPasswordInput', 'NewPassword', t['password.new'], 'password', 'new-password')}
${field('confirmNewPasswordInput', 'ConfirmNewPassword', t['password.confirm'], 'password', 'new-password')}
<button type="submit" id="submitButton">${escapeHtml(t['password.submit'])}</button>
</form>`;
  return page(b, t['password.title'], body);
}
