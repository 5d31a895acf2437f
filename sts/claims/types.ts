/** A claim as rules produce it and token builders consume it. */
export interface Claim {
  type: string;
  value: string;
  /** NameIdentifier Format, for the nameidentifier claim only. */
  format?: string;
}

/** Claim type URIs used by the built-in rules (AD FS names; ENTRA.md §2.6, §4.2). */
export const ClaimType = {
  nameIdentifier: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/nameidentifier',
  upn: 'http://schemas.xmlsoap.org/claims/UPN',
  immutableId: 'http://schemas.microsoft.com/LiveID/Federation/2008/05/ImmutableID',
  insideCorporateNetwork: 'http://schemas.microsoft.com/ws/2012/01/insidecorporatenetwork',
  authnMethodsReferences: 'http://schemas.microsoft.com/claims/authnmethodsreferences',
  issuerId: 'http://schemas.microsoft.com/ws/2008/06/identity/claims/issuerid',
  psso: 'http://schemas.microsoft.com/2014/03/psso',
  mfaInstant: 'http://schemas.microsoft.com/ws/2017/04/identity/claims/multifactorauthenticationinstant',
  passwordExpirationTime: 'http://schemas.microsoft.com/ws/2012/01/passwordexpirationtime',
  email: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress',
  name: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name',
  givenName: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname',
  surname: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname',
  group: 'http://schemas.xmlsoap.org/claims/Group',
} as const;

export const NameIdFormat = {
  unspecified: 'urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified',
  persistent: 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent',
  transient: 'urn:oasis:names:tc:SAML:2.0:nameid-format:transient',
  email: 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress',
} as const;

/** SAML 1.1 AttributeName / AttributeNamespace: the claim type split at its last '/', as AD FS does. */
export function splitClaimType(type: string): { namespace: string; name: string } {
  const at = type.lastIndexOf('/');
  return at > 0 ? { namespace: type.slice(0, at), name: type.slice(at + 1) } : { namespace: '', name: type };
}
