import type { EntraError } from './errors.js';
import type { ValidatedSignIn } from './validate.js';

/** The few pages login.microsoftonline.com shows in these flows, with ids a browser test can read. */

export const esc = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');

const page = (title: string, body: string) =>
  `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title></head><body>${body}</body></html>`;

export function signedInPage(s: ValidatedSignIn): string {
  return page('Signed in', `<h1>Signed in</h1><main id="signed-in" data-user-id="${esc(s.user.id)}" data-mfa="${s.mfa}">`
    + `<p>User: <span id="upn">${esc(s.user.userPrincipalName)}</span></p>`
    + `<p>ImmutableID: <span id="immutable-id">${esc(s.immutableId)}</span></p>`
    + `<p>UPN claim: <span id="upn-claim">${esc(s.upnClaim)}</span></p>`
    + `<p>MFA: <span id="mfa">${s.mfa}</span></p></main>`);
}

export function errorPage(e: EntraError): string {
  return page('Sign-in error', `<h1>Sorry, but we're having trouble signing you in.</h1>`
    + `<main id="sign-in-error" data-code="${e.code}"><p id="error-code">${e.code}</p><p id="error-message">${esc(e.message)}</p></main>`);
}

/** ENTRA.md §6.5 "Managed": Entra itself would now ask for the cloud password. */
export function managedPage(domainName: string): string {
  return page('Enter password', `<h1>Enter password</h1><main id="managed" data-domain="${esc(domainName)}">`
    + `<p>${esc(domainName)} is a managed domain: Entra ID checks the password itself.</p></main>`);
}

/** An HTML form the browser submits on load (SAML HTTP-POST binding, ENTRA.md §3.1). */
export function autoPostPage(action: string, fields: Record<string, string>): string {
  const inputs = Object.entries(fields).map(([k, v]) => `<input type="hidden" name="${esc(k)}" value="${esc(v)}">`).join('');
  return page('Working...', `<form method="post" action="${esc(action)}">${inputs}<noscript><button type="submit">Continue</button></noscript></form>`
    + `<script>document.forms[0].submit()</script>`);
}
