import QRCode from 'qrcode';
import { escapeHtml } from './html.js';
import { page, type Branding } from './layout.js';

interface MfaFormInput {
  branding: Branding;
  /** The sign-in's resume URL: the protocol message round-trips as on the login page. */
  action: string;
  csrfField: string;
  csrfToken: string;
  /** The sealed flow (sts/signin/mfa/flow.ts), posted back as MfaFlow. */
  flow: string;
  relyingPartyName: string;
  error?: string | undefined;
}

export interface SecondFactorPageInput extends MfaFormInput {
  wantsCode: boolean;
  /** Said what to do: the app's code, or approve elsewhere (the service's own message when it sent one). */
  instruction: string;
}

export interface EnrolmentPageInput extends MfaFormInput {
  /** otpauth:// URI of the new authenticator, shown as a QR code. */
  uri: string;
  /** The same secret in base32, for typing into an app by hand. */
  secret: string;
  account: string;
}

function form(p: MfaFormInput, fields: string, submit: string): string {
  return `<form method="post" action="${escapeHtml(p.action)}" id="mfaForm" novalidate>
<input type="hidden" name="${escapeHtml(p.csrfField)}" value="${escapeHtml(p.csrfToken)}">
<input type="hidden" name="MfaFlow" value="${escapeHtml(p.flow)}">
${fields}
<button type="submit" id="submitButton">${escapeHtml(submit)}</button>
</form>`;
}

function codeField(b: Branding, error: string | undefined): string {
  const described = error ? ' aria-describedby="errorText" aria-invalid="true"' : '';
  // one-time-code lets phones offer an SMS code; numeric keypad without type=number's spin buttons.
  return `<label for="codeInput">${escapeHtml(b.texts['mfa.code'])}</label>
<input id="codeInput" name="Code" type="text" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9 ]*" maxlength="12" spellcheck="false" required autofocus${described}>`;
}

const errorLine = (error: string | undefined) => (error ? `<p id="errorText" class="error" role="alert">${escapeHtml(error)}</p>` : '');

/** AD FS's "additional authentication" page: a code, or a Continue after approving elsewhere (no script needed). */
export function secondFactorPage(p: SecondFactorPageInput): string {
  const b = p.branding;
  const body = `<h1>${escapeHtml(b.texts['mfa.title'])}</h1>
<p class="help">${escapeHtml(b.texts['login.to'])} ${escapeHtml(p.relyingPartyName)}</p>
${errorLine(p.error)}
<p id="mfaInstruction">${escapeHtml(p.instruction)}</p>
${form(p, p.wantsCode ? codeField(b, p.error) : '', p.wantsCode ? b.texts['mfa.submit'] : b.texts['mfa.continue'])}`;
  return page(b, b.texts['mfa.title'], body);
}

/**
 * "Set up your authenticator app": the QR code as an inline image (a data: URI the page CSP allows;
 * no external asset, nothing sent to a QR service) and the secret for typing by hand, then a code
 * from the app to prove it was set up.
 */
export async function enrolmentPage(p: EnrolmentPageInput): Promise<string> {
  const b = p.branding;
  const svg = await QRCode.toString(p.uri, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 });
  const grouped = p.secret.replace(/(.{4})/g, '$1 ').trim();
  const body = `<h1>${escapeHtml(b.texts['mfa.enrol.title'])}</h1>
${errorLine(p.error)}
<p>${escapeHtml(b.texts['mfa.enrol.scan'])}</p>
<img id="qrCode" class="qr" width="220" height="220" alt="${escapeHtml(b.texts['mfa.enrol.qrAlt'])}" src="data:image/svg+xml;base64,${Buffer.from(svg).toString('base64')}">
<p class="help">${escapeHtml(b.texts['mfa.enrol.manual'])}</p>
<p><code id="secretText">${escapeHtml(grouped)}</code><br><span class="help">${escapeHtml(b.texts['mfa.enrol.account'])} <span id="accountText">${escapeHtml(p.account)}</span></span></p>
${form(p, codeField(b, p.error), b.texts['mfa.enrol.submit'])}`;
  return page(b, b.texts['mfa.enrol.title'], body);
}
