import type { AppRegistration } from './tenant.js';
import { aadstsError, type TokenResponse } from './token-grants.js';
import { decodeJwt, verifyJws } from './jwt.js';

export const JWT_BEARER_ASSERTION = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

/** Entra's tolerance for client-assertion times. Microsoft documents none; 5 minutes is the usual STS skew *(unconfirmed)*. */
const SKEW_SECONDS = 300;

/**
 * Client authentication at the token endpoint (ENTRA.md §8.1): a client secret, or a certificate
 * client assertion checked as Microsoft's "certificate credentials" page lists: aud = the token
 * endpoint, iss = sub = client_id, exp/nbf, jti, x5t or x5t#S256 of a registered certificate, signature.
 * Returns the error to answer, or undefined when the client is authenticated.
 *
 * jti is required but a reused jti is NOT rejected: msal-node (ClientAssertion.getJwt) deliberately
 * re-sends the same assertion until it expires, so Entra cannot be refusing replays.
 */
export function authenticateClient(form: URLSearchParams, app: AppRegistration, acceptedAudiences: Set<string>): TokenResponse | undefined {
  const secret = form.get('client_secret');
  const assertion = form.get('client_assertion');
  if (secret === null && assertion === null) {
    return aadstsError(401, 'invalid_client', 7000218, "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.");
  }
  if (assertion === null) {
    return app.secrets.includes(secret ?? '') ? undefined : aadstsError(401, 'invalid_client', 7000215,
      `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${app.appId}'.`);
  }
  const type = form.get('client_assertion_type');
  if (type === null) return aadstsError(400, 'invalid_request', 900144, "The request body must contain the following parameter: 'client_assertion_type'.");
  // Code for a wrong assertion type *(unconfirmed)*: 90100 InvalidRequestParameter from the AADSTS reference.
  if (type !== JWT_BEARER_ASSERTION) return aadstsError(400, 'invalid_request', 90100, "The parameter 'client_assertion_type' is empty or not valid.");
  return checkAssertion(assertion, app, acceptedAudiences);
}

function checkAssertion(assertion: string, app: AppRegistration, acceptedAudiences: Set<string>): TokenResponse | undefined {
  const jwt = decodeJwt(assertion);
  const { iss, sub, aud, exp, nbf, jti } = jwt?.payload ?? {};
  if (!jwt || typeof exp !== 'number' || typeof jti !== 'string' || (jwt.header.alg !== 'RS256' && jwt.header.alg !== 'PS256')) {
    return aadstsError(401, 'invalid_client', 50027, 'JWT token is invalid or malformed.');
  }
  // 700021 is not in the published table but is what Entra answers (widely quoted) for iss ≠ client_id.
  if (iss !== app.appId) return aadstsError(401, 'invalid_client', 700021, "Client assertion application identifier doesn't match 'client_id' parameter.");
  if (sub !== iss) return aadstsError(401, 'invalid_client', 50048, 'Subject mismatches Issuer claim in the client assertion.');
  if (typeof aud !== 'string' || !acceptedAudiences.has(aud)) {
    return aadstsError(401, 'invalid_client', 50027, `Invalid JWT token. AUD claim '${String(aud)}' is not valid.`);
  }
  const now = Math.floor(Date.now() / 1000);
  if (now > exp + SKEW_SECONDS || (typeof nbf === 'number' && now < nbf - SKEW_SECONDS)) {
    return aadstsError(401, 'invalid_client', 700024,
      `Client assertion is not within its valid time range. Current time: ${new Date(now * 1000).toISOString()}, expiry time of assertion ${new Date(exp * 1000).toISOString()}.`);
  }
  const cert = app.certificates.find((c) => matchesThumbprint(jwt.header, c.thumbprintSha1, c.thumbprintSha256));
  if (!cert) {
    return aadstsError(401, 'invalid_client', 700027,
      `Client assertion failed signature validation. The key was not found. Thumbprint of key used by client: '${thumbprintOf(jwt.header)}'. Please visit the Azure Portal, Graph Explorer or directly use MS Graph to see configured keys for app Id '${app.appId}'.`);
  }
  if (!verifyJws(jwt, cert.publicKeyPem)) {
    return aadstsError(401, 'invalid_client', 700027, 'Client assertion failed signature validation.');
  }
  return undefined;
}

function matchesThumbprint(header: Record<string, unknown>, sha1Hex: string, sha256Hex: string): boolean {
  if (typeof header['x5t#S256'] === 'string') return header['x5t#S256'] === Buffer.from(sha256Hex, 'hex').toString('base64url');
  if (typeof header.x5t === 'string') return header.x5t === Buffer.from(sha1Hex, 'hex').toString('base64url');
  return false;
}

function thumbprintOf(header: Record<string, unknown>): string {
  const t = header['x5t#S256'] ?? header.x5t;
  return typeof t === 'string' ? Buffer.from(t, 'base64url').toString('hex').toUpperCase() : '';
}

