import type { DirectoryUser } from '../../directory/types.js';
import type { RelyingPartyTrust } from '../trusts/trust.js';

/** Authentication method URIs as AD FS writes them (ENTRA.md §2.6, §2.7, §5.2). */
export const AuthMethod = {
  password: 'http://schemas.microsoft.com/ws/2008/06/identity/authenticationmethod/password',
  passwordProtectedTransport: 'urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport',
  saml11Password: 'urn:oasis:names:tc:SAML:1.0:am:password',
  tlsClient: 'urn:ietf:rfc:2246',
  windows: 'urn:federation:authentication:windows',
  multipleAuthn: 'http://schemas.microsoft.com/claims/multipleauthn',
} as const;

export type Protocol = 'wsfed' | 'saml2' | 'wstrust' | 'oidc';

/** What a protocol adapter asks of the pipeline, in no protocol's terms (ARCHITECTURE.md). */
export interface SignInRequest {
  trust: RelyingPartyTrust;
  protocol: Protocol;
  /** The reply URL, already checked against the trust. */
  returnTo: string;
  /** Force a new credential even with a live SSO session (wfresh=0, prompt=login). */
  fresh: boolean;
  /** Reuse the SSO session only if its first factor is at most this old (wfresh=N minutes). */
  maxAgeMinutes?: number | undefined;
  /** Requested authentication method URIs (wauth), e.g. multipleauthn. */
  requestedMethods: string[];
  loginHint?: string | undefined;
  clientIp: string;
  /**
   * Where the answer to the login form's post may redirect to (OIDC: the authorization response
   * to the client's redirect URI); CSP form-action covers a form post's redirects.
   */
  redirectsTo?: string | undefined;
}

/** Who signed in, how and when: the pipeline's output and the input to claim rules. */
export interface Authentication {
  user: DirectoryUser;
  /** Method URIs in the order they were satisfied. */
  methods: string[];
  /** First-factor instant (drives Entra sign-in frequency, ENTRA.md §2.7). */
  instant: Date;
  mfaInstant?: Date | undefined;
  insideCorporateNetwork: boolean;
  /** Keep-me-signed-in (psso) was chosen. */
  persistent: boolean;
}

/** What the user has presented in this request: nothing yet, a password typed into a form or a WS-Trust message, the MFA page's answer, or a certificate. */
export type Presented =
  | { kind: 'nothing' }
  | { kind: 'password'; username: unknown; password: unknown; persistent: boolean }
  /** `flow`: the sealed flow the page carried; `code`: what the user typed (absent for a push approved elsewhere). */
  | { kind: 'second-factor'; flow: unknown; code: unknown }
  /** A client certificate the certificate listener validated (chain, EKU, revocation), DER. */
  | { kind: 'certificate'; der: Buffer; revocation: 'good' | 'unchecked' | 'off' };
