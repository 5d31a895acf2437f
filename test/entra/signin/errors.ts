/**
 * The AADSTS errors Entra's sign-in side answers with (ENTRA.md §9). Texts follow Microsoft's
 * "Microsoft Entra authentication and authorization error codes" page; where Entra adds details to
 * the text (50107, 51004) the detail is filled in as Entra shows it.
 */
export type AadstsCode =
  | 'AADSTS20012' // WsFedMessageInvalid
  | 'AADSTS50006' // InvalidSignature
  | 'AADSTS50008' // InvalidSamlToken
  | 'AADSTS50013' // InvalidAssertion
  | 'AADSTS50034' // UserAccountNotFound
  | 'AADSTS50057' // UserDisabled
  | 'AADSTS50107' // InvalidRealmUri
  | 'AADSTS51004' // UserAccountNotInDirectory
  | 'AADSTS90020' // SAML 1.1 assertion without ImmutableID
  | 'AADSTS90100' // InvalidRequestParameter
  | 'AADSTS7500514'; // saml2-bearer grant without SAML 2.0

export class EntraError extends Error {
  /** HTTP status of the answer: 400 for everything the sign-in side rejects. */
  readonly status: number;
  /** The OAuth `error` the token endpoint puts beside the code. */
  readonly oauthError: 'invalid_grant' | 'invalid_request';

  constructor(
    readonly code: AadstsCode,
    readonly text: string,
    /** Which rule failed, for the sign-in log and test messages (not shown by Entra). */
    readonly rule: string,
    oauthError: 'invalid_grant' | 'invalid_request' = 'invalid_grant',
  ) {
    super(`${code}: ${text}`);
    this.status = 400;
    this.oauthError = oauthError;
  }

  /** The numeric part, as Entra's `error_codes` carries it. */
  get number(): number {
    return Number(this.code.slice('AADSTS'.length));
  }
}

export const wsFedMessageInvalid = (rule: string) =>
  new EntraError('AADSTS20012', 'WsFedMessageInvalid - There is an issue with your federated Identity Provider. Contact your IDP to resolve this issue.', rule);

export const invalidSignature = (rule: string) =>
  new EntraError('AADSTS50006', 'InvalidSignature - Signature verification failed because of an invalid signature.', rule);

export const invalidSamlToken = (rule: string) =>
  new EntraError('AADSTS50008', 'InvalidSamlToken - SAML assertion is missing or misconfigured in the token. Contact your federation provider.', rule);

export const invalidAssertion = (rule: string) =>
  new EntraError('AADSTS50013', 'InvalidAssertion - Assertion is invalid because of various reasons - not within its valid time range, expired or malformed.', rule);

export const userDisabled = (rule: string) =>
  new EntraError('AADSTS50057', 'UserDisabled - The user account is disabled.', rule);

export const invalidRealm = (issuer: string) =>
  new EntraError('AADSTS50107', `The requested federation realm object '${issuer}' does not exist.`, 'issuerNamesFederatedDomain');

export const userNotInDirectory = (immutableId: string, tenantId: string) =>
  new EntraError(
    'AADSTS51004',
    `The user account ${immutableId} does not exist in the ${tenantId} directory. To sign into this application, the account must be added to the directory.`,
    'immutableIdNamesUser',
  );

export const missingImmutableId = (rule: string) =>
  new EntraError('AADSTS90020', 'The SAML 1.1 Assertion is missing ImmutableID of the user.', rule);

export const invalidRequestParameter = (rule: string) =>
  new EntraError('AADSTS90100', 'InvalidRequestParameter - The parameter is empty or not valid.', rule);

export const unsupportedSamlType = () =>
  new EntraError(
    'AADSTS7500514',
    "A supported type of SAML response was not found. The supported response types are 'Response' (in XML namespace 'urn:oasis:names:tc:SAML:2.0:protocol') or 'Assertion' (in XML namespace 'urn:oasis:names:tc:SAML:2.0:assertion').",
    'samlVersionMatchesGrant',
    'invalid_request',
  );

export const accountNotFound = () =>
  new EntraError('AADSTS50034', 'UserAccountNotFound - To sign into this application, the account must be added to the directory.', 'homeRealmDiscovery');
