import { randomUUID, X509Certificate } from 'node:crypto';
import type { Domain, InternalDomainFederation } from '../tenant.js';
import type { Json } from './query.js';
import { badRequest, conflict, invalidProperty, isObject, notFound, type GraphRequest, type GraphResponse } from './types.js';

const FED_TYPE = '#microsoft.graph.internalDomainFederation';
const FED_RESOURCE = 'InternalDomainFederation';
/** Writable internalDomainFederation properties (ENTRA.md §1.2); signingCertificateUpdateStatus is maintained by Entra. */
const FED_WRITABLE = ['displayName', 'issuerUri', 'metadataExchangeUri', 'passiveSignInUri', 'activeSignInUri', 'signOutUri',
  'signingCertificate', 'nextSigningCertificate', 'preferredAuthenticationProtocol', 'federatedIdpMfaBehavior',
  'promptLoginBehavior', 'isSignedAuthenticationRequestRequired', 'passwordResetUri'] as const;
/**
 * Microsoft's create page marks no property as required; a federation cannot work without these three
 * (MSOnline's Set-MsolDomainAuthentication demanded them too), so the double refuses a POST without them.
 */
const FED_REQUIRED = ['issuerUri', 'passiveSignInUri', 'signingCertificate'] as const;
const URIS = ['issuerUri', 'metadataExchangeUri', 'passiveSignInUri', 'activeSignInUri', 'signOutUri', 'passwordResetUri'] as const;
const ENUMS: Record<string, readonly (string | null)[]> = {
  preferredAuthenticationProtocol: ['wsFed', 'saml'],
  federatedIdpMfaBehavior: ['acceptIfMfaDoneByFederatedIdp', 'enforceMfaByFederatedIdp', 'rejectMfaByFederatedIdp', null],
  promptLoginBehavior: ['translateToFreshPasswordAuthentication', 'nativeSupport', 'disabled', null],
};

const domainJson = (d: Domain): Json => ({
  authenticationType: d.authenticationType, availabilityStatus: null, id: d.id, isAdminManaged: true, isDefault: d.isDefault,
  isInitial: d.isInitial, isRoot: true, isVerified: d.isVerified, supportedServices: [],
});
const fedJson = (f: InternalDomainFederation): Json => ({ '@odata.type': FED_TYPE, ...f });

export function listDomains(req: GraphRequest): GraphResponse {
  return { status: 200, body: { '@odata.context': `${req.graphBase}/$metadata#domains`, value: [...req.tenant.domains.values()].map(domainJson) } };
}

export function getDomain(req: GraphRequest, name: string): GraphResponse {
  const d = req.tenant.domains.get(name.toLowerCase());
  return d ? { status: 200, body: { '@odata.context': `${req.graphBase}/$metadata#domains/$entity`, ...domainJson(d) } } : notFound(name);
}

/**
 * `PATCH /domains/{id}`: `authenticationType: "Managed"` on a federated domain drops its federation
 * (ENTRA.md §1.3). Turning a domain Federated goes through federationConfiguration, so that value is refused
 * here *(unconfirmed how Graph answers it)*.
 */
export function updateDomain(req: GraphRequest, name: string): GraphResponse {
  const d = req.tenant.domains.get(name.toLowerCase());
  if (!d) return notFound(name);
  if (!isObject(req.body)) return badRequest('Empty Payload. JSON content expected.');
  const { authenticationType, isDefault } = req.body;
  if (authenticationType !== undefined && authenticationType !== 'Managed') return invalidProperty('authenticationType', 'Domain');
  if (isDefault !== undefined && (isDefault !== true || !d.isVerified)) return invalidProperty('isDefault', 'Domain');
  if (authenticationType === 'Managed') {
    d.authenticationType = 'Managed';
    d.federation = null;
  }
  if (isDefault === true) {
    for (const other of req.tenant.domains.values()) other.isDefault = false;
    d.isDefault = true;
  }
  return { status: 204 };
}

/** ENTRA.md §1.1: GET lists at most one object. */
export function listFederation(req: GraphRequest, name: string): GraphResponse {
  const d = req.tenant.domains.get(name.toLowerCase());
  if (!d) return notFound(name);
  return { status: 200, body: { '@odata.context': `${req.graphBase}/$metadata#domains('${d.id}')/federationConfiguration`, value: d.federation ? [fedJson(d.federation)] : [] } };
}

/** ENTRA.md §1.3: on a verified, non-initial domain, with an issuerUri no other domain uses; the domain becomes Federated. */
export function createFederation(req: GraphRequest, name: string): GraphResponse {
  const d = req.tenant.domains.get(name.toLowerCase());
  if (!d) return notFound(name);
  if (!isObject(req.body)) return badRequest('Empty Payload. JSON content expected.');
  // Exact Graph wording for the next three refusals *(unconfirmed)*.
  if (d.isInitial) return badRequest(`The initial domain '${d.id}' cannot be federated.`);
  if (!d.isVerified) return badRequest(`Domain '${d.id}' is not verified and cannot be federated.`);
  if (d.federation) return badRequest(`Domain '${d.id}' already has a federation configuration.`);
  for (const p of FED_REQUIRED) if (typeof req.body[p] !== 'string') return invalidProperty(p, FED_RESOURCE);
  const body = req.body;
  const fed: InternalDomainFederation = {
    id: randomUUID(), displayName: d.id, metadataExchangeUri: null, activeSignInUri: null,
    signOutUri: String(body.passiveSignInUri), nextSigningCertificate: null, preferredAuthenticationProtocol: 'wsFed',
    federatedIdpMfaBehavior: null, promptLoginBehavior: null, isSignedAuthenticationRequestRequired: false,
    signingCertificateUpdateStatus: null, issuerUri: '', passiveSignInUri: '', signingCertificate: '',
    ...pick(body),
  };
  const invalid = validateFederation(req, d, fed);
  if (invalid) return invalid;
  d.federation = fed;
  d.authenticationType = 'Federated';
  return { status: 201, headers: { location: `${req.graphBase}/domains/${d.id}/federationConfiguration/${fed.id}` }, body: fedJson(fed) };
}

export function getFederation(req: GraphRequest, name: string, id: string): GraphResponse {
  const d = req.tenant.domains.get(name.toLowerCase());
  if (!d?.federation || d.federation.id !== id) return notFound(id);
  return { status: 200, body: { '@odata.context': `${req.graphBase}/$metadata#domains('${d.id}')/federationConfiguration/$entity`, ...fedJson(d.federation) } };
}

export function updateFederation(req: GraphRequest, name: string, id: string): GraphResponse {
  const d = req.tenant.domains.get(name.toLowerCase());
  if (!d?.federation || d.federation.id !== id) return notFound(id);
  if (!isObject(req.body)) return badRequest('Empty Payload. JSON content expected.');
  const updated = { ...d.federation, ...pick(req.body) };
  const invalid = validateFederation(req, d, updated);
  if (invalid) return invalid;
  Object.assign(d.federation, updated);
  return { status: 204 };
}

export function deleteFederation(req: GraphRequest, name: string, id: string): GraphResponse {
  const d = req.tenant.domains.get(name.toLowerCase());
  if (!d?.federation || d.federation.id !== id) return notFound(id);
  d.federation = null;
  d.authenticationType = 'Managed';
  return { status: 204 };
}

function pick(body: Json): Partial<InternalDomainFederation> {
  return Object.fromEntries(Object.entries(body).filter(([k]) => (FED_WRITABLE as readonly string[]).includes(k))) as Partial<InternalDomainFederation>;
}

function validateFederation(req: GraphRequest, d: Domain, f: InternalDomainFederation): GraphResponse | undefined {
  const record = f as unknown as Json;
  for (const p of URIS) {
    const v = record[p];
    if (v === null || v === undefined) {
      if (p === 'issuerUri' || p === 'passiveSignInUri' || p === 'signOutUri') return invalidProperty(p, FED_RESOURCE);
      continue;
    }
    if (typeof v !== 'string' || !URL.canParse(v)) return invalidProperty(p, FED_RESOURCE);
  }
  for (const [p, allowed] of Object.entries(ENUMS)) if (!allowed.includes(record[p] as string | null)) return invalidProperty(p, FED_RESOURCE);
  if (typeof f.isSignedAuthenticationRequestRequired !== 'boolean') return invalidProperty('isSignedAuthenticationRequestRequired', FED_RESOURCE);
  if (typeof f.displayName !== 'string' || f.displayName.length === 0) return invalidProperty('displayName', FED_RESOURCE);
  if (!isBase64Certificate(f.signingCertificate)) return invalidProperty('signingCertificate', FED_RESOURCE);
  if (f.nextSigningCertificate !== null && !isBase64Certificate(f.nextSigningCertificate)) return invalidProperty('nextSigningCertificate', FED_RESOURCE);
  // ENTRA.md §1.3: two domains cannot share one issuerUri (Graph's wording *(unconfirmed)*).
  const holder = req.tenant.federatedDomainByIssuer(f.issuerUri);
  if (holder && holder.id !== d.id) return conflict('issuerUri');
  return undefined;
}

/** ENTRA.md §1.2: plain base64 of the DER certificate — no PEM armour, no line breaks — that loads as a certificate. */
function isBase64Certificate(value: unknown): boolean {
  if (typeof value !== 'string' || !/^[A-Za-z0-9+/]+={0,2}$/.test(value)) return false;
  try {
    new X509Certificate(Buffer.from(value, 'base64'));
    return true;
  } catch {
    return false;
  }
}
