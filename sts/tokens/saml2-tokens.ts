import type { Audit } from '../../health/audit.js';
import type { SignatureAlgorithm, Signer } from '../../keys/signer.js';
import { SIGNATURE_METHOD } from '../../xml/dsig.js';
import type { WrittenXml } from '../../xml/writer.js';
import { ClaimType } from '../claims/types.js';
import type { FederatedDomain } from '../claims/issuer.js';
import { issueClaims } from '../claims/rules.js';
import type { Authentication } from '../signin/types.js';
import { ENTRA_IDENTIFIER, type RelyingPartyTrust, type SamlTrustSettings } from '../trusts/trust.js';
import { statementMethod } from './claims-to-saml11.js';
import { NAME_ID_FORMAT, nameIdValue, saml2Attributes, type NameIdFormatName } from './claims-to-saml2.js';
import { buildSaml2Assertion } from './saml2-assertion.js';
import { encryptAssertion } from './saml2-encryption.js';
import { buildLogoutRequest, buildLogoutResponse, buildSamlResponse, StatusCode, type SamlStatus } from './saml2-protocol.js';

/** The NameID an assertion carried: the session keeps it, LogoutRequests repeat it (Core §3.7.1). */
export interface IssuedNameId {
  value: string;
  format: string;
  spNameQualifier?: string | undefined;
}

export interface Saml2Issue {
  /** The ACS URL the Response goes to: Destination and Recipient (Profiles §4.1.4.2). */
  acsUrl: string;
  inResponseTo?: string | undefined;
  nameIdFormat: NameIdFormatName;
  /** AuthnStatement SessionIndex, which LogoutRequests name (Core §3.7.1). */
  sessionIndex: string;
  now?: Date;
}

/**
 * SAML 2.0 tokens and protocol messages for a trust: claims, then the assertion, signed and/or
 * encrypted as the trust's `saml` settings say, inside a Response signed when they say so
 * (issue [C] item 2: assertion, response or both; RSA-SHA256 unless the trust's
 * signatureAlgorithm says otherwise). Logout messages are always signed: an SP must be able to tell
 * ours from a forged one.
 */
export class Saml2Tokens {
  constructor(
    private readonly deps: {
      signer: () => Signer;
      domains: FederatedDomain[];
      defaultIssuer: string;
      /** token.issued events (README "Audit log"), as TokenService records them for SAML 1.1. */
      audit?: Audit | undefined;
    },
  ) {}

  /** The issuer Gatehouse speaks as to this user's party: the domain's issuerUri via issuerid (ENTRA.md §3.2, §4). */
  issuerFor(trust: RelyingPartyTrust, auth: Authentication | undefined): string {
    if (!auth) return this.deps.defaultIssuer;
    return issueClaims(trust, auth, this.deps.domains).find((c) => c.type === ClaimType.issuerId)?.value ?? this.deps.defaultIssuer;
  }

  private signing(trust: RelyingPartyTrust): { signer: Signer; algorithm: SignatureAlgorithm } {
    return { signer: this.deps.signer(), algorithm: trust.signatureAlgorithm };
  }

  async response(trust: RelyingPartyTrust, saml: SamlTrustSettings, auth: Authentication, p: Saml2Issue): Promise<{ xml: WrittenXml; nameId: IssuedNameId }> {
    const now = p.now ?? new Date();
    const claims = issueClaims(trust, auth, this.deps.domains);
    const entra = trust.identifier === ENTRA_IDENTIFIER;
    const issuer = claims.find((c) => c.type === ClaimType.issuerId)?.value ?? this.deps.defaultIssuer;
    const nameId: IssuedNameId = { value: nameIdValue(claims, p.nameIdFormat, auth.user.immutableId, entra), format: NAME_ID_FORMAT[p.nameIdFormat] };
    const notOnOrAfter = new Date(now.getTime() + trust.tokenLifetimeMinutes * 60_000);
    const assertion = await buildSaml2Assertion({
      issuer,
      audience: trust.identifier,
      issueInstant: now,
      notBefore: now,
      notOnOrAfter,
      nameId,
      recipient: p.acsUrl,
      inResponseTo: p.inResponseTo,
      attributes: saml2Attributes(claims, entra),
      authn: { instant: auth.instant, sessionIndex: p.sessionIndex, classRef: statementMethod(auth, 'saml2') },
      signing: saml.sign === 'response' ? undefined : this.signing(trust),
    });
    const carried = saml.encryptionCertificate ? encryptAssertion(assertion.signed, saml.encryptionCertificate, saml.dataEncryption) : assertion.signed;
    const xml = await buildSamlResponse({
      issuer,
      destination: p.acsUrl,
      inResponseTo: p.inResponseTo,
      issueInstant: now,
      status: { code: StatusCode.success },
      assertion: carried,
      signing: saml.sign === 'assertion' ? undefined : this.signing(trust),
    });
    await this.deps.audit?.record({ at: now, type: 'token.issued', outcome: 'success', user: auth.user.upn, relyingParty: trust.identifier, details: { protocol: 'saml2', tokenType: 'saml2', assertionId: assertion.assertionId, encrypted: Boolean(saml.encryptionCertificate), notOnOrAfter: notOnOrAfter.toISOString() } });
    return { xml, nameId };
  }

  /** A Response with only a status (Requester, NoPassive, RequestDenied…), signed so the SP can trust the refusal. */
  async statusResponse(trust: RelyingPartyTrust, p: { acsUrl: string; inResponseTo?: string | undefined; status: SamlStatus }): Promise<WrittenXml> {
    return buildSamlResponse({ issuer: this.deps.defaultIssuer, destination: p.acsUrl, inResponseTo: p.inResponseTo, status: p.status, signing: this.signing(trust) });
  }

  /** `enveloped` false for the Redirect binding, whose signature covers the query instead (Bindings §3.4.4.1). */
  async logoutRequest(trust: RelyingPartyTrust, p: { id: string; destination: string; issuer: string; nameId: IssuedNameId; sessionIndex?: string | undefined; now?: Date }, enveloped: boolean): Promise<WrittenXml> {
    const now = p.now ?? new Date();
    return buildLogoutRequest({ ...p, issueInstant: now, notOnOrAfter: new Date(now.getTime() + 5 * 60_000), signing: enveloped ? this.signing(trust) : undefined });
  }

  async logoutResponse(trust: RelyingPartyTrust, p: { destination: string; issuer: string; inResponseTo: string; status: SamlStatus }, enveloped: boolean): Promise<WrittenXml> {
    return buildLogoutResponse({ ...p, signing: enveloped ? this.signing(trust) : undefined });
  }

  /** The Redirect binding's detached signature over the query octets (Bindings §3.4.4.1): SigAlg, and a signing function. */
  redirectSigner(trust: RelyingPartyTrust): { sigAlg: string; sign: (octets: string) => Promise<string> } {
    const { signer, algorithm } = this.signing(trust);
    return { sigAlg: SIGNATURE_METHOD[algorithm], sign: async (octets) => (await signer.sign(algorithm, Buffer.from(octets, 'utf8'))).toString('base64') };
  }
}
