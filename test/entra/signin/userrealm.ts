import type { Tenant } from '../tenant.js';

/**
 * ENTRA.md §6.5: `GET /common/userrealm/{upn}?api-version=1.0`. Unknown domains get HTTP 200 with
 * account_type "Unknown" (as Entra is reported to answer; no
 * Microsoft page documents it *(unconfirmed)*), never a 404, which MSAL Python would take as "managed". The federation_protocol of a `saml` domain is
 * *(unconfirmed)*: "SAML20" here.
 */
export function userRealm(tenant: Tenant, upn: string): Record<string, unknown> {
  const cloud = { cloud_instance_name: 'microsoftonline.com', cloud_audience_urn: 'urn:federation:MicrosoftOnline' };
  const domain = tenant.domainForUpn(upn);
  if (!domain?.isVerified) return { ver: '1.0', account_type: 'Unknown', ...cloud };
  const federation = domain.federation;
  if (domain.authenticationType !== 'Federated' || !federation) return { ver: '1.0', account_type: 'Managed', domain_name: domain.id, ...cloud };
  return {
    ver: '1.0',
    account_type: 'Federated',
    domain_name: domain.id,
    federation_protocol: federation.preferredAuthenticationProtocol === 'saml' ? 'SAML20' : 'WSTrust',
    // Sent only when configured: without a MEX URL MSAL Python posts to the active URL (§6.5).
    ...(federation.metadataExchangeUri ? { federation_metadata_url: federation.metadataExchangeUri } : {}),
    ...(federation.activeSignInUri ? { federation_active_auth_url: federation.activeSignInUri } : {}),
    ...cloud,
  };
}
