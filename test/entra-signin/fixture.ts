import { Tenant, type InternalDomainFederation, type User } from '../entra/tenant.js';
import { newIdpKey, type IdpKey } from './tokens.js';

/** ENTRA.md §7.1 test vector: GUID 11223344-5566-7788-99aa-bbccddeeff00 as Entra Connect writes it. */
export const ALICE_IMMUTABLE_ID = 'RDMiEWZViHeZqrvM3e7/AA==';
export const ISSUER = 'http://corp.example.com/adfs/services/trust/';
export const PASSIVE = 'https://sts.corp.example.com/adfs/ls/';

export interface FederatedTenant {
  tenant: Tenant;
  federation: InternalDomainFederation;
  key: IdpKey;
  /** The key of nextSigningCertificate (ENTRA.md §1.4). */
  nextKey: IdpKey;
  alice: User;
}

/** A tenant with corp.example.com federated over WS-Fed and alice synced with her ImmutableID. */
export async function federatedTenant(fed: Partial<InternalDomainFederation> = {}, tenant = new Tenant()): Promise<FederatedTenant> {
  const [key, nextKey] = await Promise.all([newIdpKey('corp-signing'), newIdpKey('corp-next')]);
  tenant.addDomain('corp.example.com');
  tenant.addDomain('managed.example.com');
  const federation = tenant.federate('corp.example.com', {
    issuerUri: ISSUER, passiveSignInUri: PASSIVE, signingCertificate: key.base64Der, nextSigningCertificate: nextKey.base64Der,
    metadataExchangeUri: 'https://sts.corp.example.com/adfs/services/trust/mex',
    activeSignInUri: 'https://sts.corp.example.com/adfs/services/trust/2005/usernamemixed',
    ...fed,
  });
  const alice = tenant.addUser({ userPrincipalName: 'alice@corp.example.com', displayName: 'Alice', onPremisesImmutableId: ALICE_IMMUTABLE_ID });
  return { tenant, federation, key, nextKey, alice };
}
