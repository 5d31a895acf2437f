import type { GraphClient } from './graph-client.js';
import { GraphError } from './graph-error.js';

/** A tenant domain (Graph `domain` resource). */
export interface EntraDomain {
  /** The DNS name. */
  id: string;
  /** `Managed` or `Federated` (ENTRA.md §1.3). */
  authenticationType: string;
  isDefault: boolean;
  /** The tenant's `*.onmicrosoft.com` domain, which cannot be federated. */
  isInitial: boolean;
  isVerified: boolean;
}

export type AuthenticationProtocol = 'wsFed' | 'saml' | 'unknownFutureValue';
export type FederatedIdpMfaBehavior = 'acceptIfMfaDoneByFederatedIdp' | 'enforceMfaByFederatedIdp' | 'rejectMfaByFederatedIdp' | 'unknownFutureValue';
export type PromptLoginBehavior = 'translateToFreshPasswordAuthentication' | 'nativeSupport' | 'disabled' | 'unknownFutureValue';

/** The writable settings of a domain's federation, Graph `internalDomainFederation` (ENTRA.md §1.2). */
export interface DomainFederationSettings {
  displayName: string;
  /** The Issuer of our tokens for this domain; no two domains may share one (ENTRA.md §1.3, §4.1). */
  issuerUri: string;
  passiveSignInUri: string;
  /** WS-Trust username endpoint (MSOnline "ActiveLogOnUri"). */
  activeSignInUri: string | null;
  metadataExchangeUri: string | null;
  /** MSOnline "LogOffUri"; Entra uses the passive URL when created without one. */
  signOutUri: string | null;
  /** base64 of the DER certificate, no PEM armour or line breaks (ENTRA.md §1.2). */
  signingCertificate: string;
  /** Also accepted by Entra: set before a key is promoted (ENTRA.md §1.4). */
  nextSigningCertificate: string | null;
  preferredAuthenticationProtocol: AuthenticationProtocol;
  /** null behaves as acceptIfMfaDoneByFederatedIdp (ENTRA.md §1.2). */
  federatedIdpMfaBehavior: FederatedIdpMfaBehavior | null;
  /** null behaves as translateToFreshPasswordAuthentication (ENTRA.md §1.2). */
  promptLoginBehavior: PromptLoginBehavior | null;
  /** Entra signs its SAML 2.0 AuthnRequests (ENTRA.md §3.1). */
  isSignedAuthenticationRequestRequired: boolean;
}

/** A domain's federation configuration as Graph returns it. */
export interface InternalDomainFederation extends DomainFederationSettings {
  id: string;
  /** Maintained by Entra (its own certificate rollover). */
  signingCertificateUpdateStatus: { certificateUpdateResult: string; lastRunDateTime: string } | null;
}

/** What a new federation configuration must say; Entra fills in the rest. */
export type NewDomainFederation = Pick<DomainFederationSettings, 'issuerUri' | 'passiveSignInUri' | 'signingCertificate'> & Partial<DomainFederationSettings>;

const FEDERATION_TYPE = '#microsoft.graph.internalDomainFederation';
const NULLABLE = ['activeSignInUri', 'metadataExchangeUri', 'signOutUri', 'nextSigningCertificate', 'federatedIdpMfaBehavior', 'promptLoginBehavior', 'signingCertificateUpdateStatus'] as const;

/** Graph's JSON → InternalDomainFederation: OData annotations dropped, absent nullable properties null. */
function federationOf(json: Record<string, unknown>): InternalDomainFederation {
  const { '@odata.context': _context, '@odata.type': _type, ...properties } = json;
  const nulls = Object.fromEntries(NULLABLE.map((p) => [p, null]));
  return { ...nulls, isSignedAuthenticationRequestRequired: false, ...properties } as InternalDomainFederation;
}

const domainOf = (json: Record<string, unknown>): EntraDomain => {
  const { '@odata.context': _context, ...domain } = json;
  return domain as unknown as EntraDomain;
};

/**
 * `/domains/{id}/federationConfiguration` (ENTRA.md §1.1): at most one configuration per domain;
 * creating one turns the domain Federated, deleting it turns it back to Managed (ENTRA.md §1.3).
 * Reads need Domain-InternalFederation.Read.All, writes Domain-InternalFederation.ReadWrite.All.
 */
export class DomainFederations {
  constructor(private readonly graph: GraphClient) {}

  async list(domainId: string): Promise<InternalDomainFederation[]> {
    const page = await this.graph.get<{ value: Record<string, unknown>[] }>(this.path(domainId));
    return page.value.map(federationOf);
  }

  /** undefined when the domain has no configuration of that id. */
  async get(domainId: string, id: string): Promise<InternalDomainFederation | undefined> {
    const res = await this.graph.call('GET', this.path(domainId, id));
    if (res.status === 404) return undefined;
    if (res.status !== 200) throw GraphError.from(res);
    return federationOf(res.body as Record<string, unknown>);
  }

  async create(domainId: string, settings: NewDomainFederation): Promise<InternalDomainFederation> {
    // Microsoft's create example carries the type annotation (ENTRA.md §1.1).
    const res = await this.graph.call('POST', this.path(domainId), { '@odata.type': FEDERATION_TYPE, ...settings });
    if (res.status !== 201) throw GraphError.from(res);
    return federationOf(res.body as Record<string, unknown>);
  }

  /** Changes only the properties given, e.g. `{ nextSigningCertificate }` before a rollover. */
  async update(domainId: string, id: string, changes: Partial<DomainFederationSettings>): Promise<void> {
    const res = await this.graph.call('PATCH', this.path(domainId, id), changes);
    if (res.status !== 204 && res.status !== 200) throw GraphError.from(res);
  }

  async delete(domainId: string, id: string): Promise<void> {
    const res = await this.graph.call('DELETE', this.path(domainId, id));
    if (res.status !== 204) throw GraphError.from(res);
  }

  private path(domainId: string, id?: string): string {
    const base = `/domains/${encodeURIComponent(domainId)}/federationConfiguration`;
    return id === undefined ? base : `${base}/${encodeURIComponent(id)}`;
  }
}

/** The tenant's domains (needs Domain.Read.All). */
export class Domains {
  readonly federation: DomainFederations;

  constructor(private readonly graph: GraphClient) {
    this.federation = new DomainFederations(graph);
  }

  async list(): Promise<EntraDomain[]> {
    return (await this.graph.listAll<Record<string, unknown>>('/domains')).map(domainOf);
  }

  /** undefined when the tenant has no such domain. */
  async get(id: string): Promise<EntraDomain | undefined> {
    const res = await this.graph.call('GET', `/domains/${encodeURIComponent(id)}`);
    if (res.status === 404) return undefined;
    if (res.status !== 200) throw GraphError.from(res);
    return domainOf(res.body as Record<string, unknown>);
  }

  /**
   * `PATCH /domains/{id}` `{"authenticationType":"Managed"}` turns a federated domain back to
   * managed and drops its federation (ENTRA.md §1.3; needs Domain-InternalFederation.ReadWrite.All).
   * Federating goes through `federation.create` instead.
   */
  async makeManaged(id: string): Promise<void> {
    const res = await this.graph.call('PATCH', `/domains/${encodeURIComponent(id)}`, { authenticationType: 'Managed' });
    if (res.status !== 204 && res.status !== 200) throw GraphError.from(res);
  }
}
