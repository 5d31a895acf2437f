import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { EntraError } from '../entra/signin/errors.js';
import { DEFAULT_CLOCK_SKEW_SECONDS } from '../entra/signin/rules.js';
import { validateWsFedResult } from '../entra/signin/validate.js';
import { ALICE_IMMUTABLE_ID, ISSUER, federatedTenant, type FederatedTenant } from './fixture.js';
import { MFA_METHOD, newIdpKey, saml11Assertion, wsFedResult, type IdpKey, type Saml11Options } from './tokens.js';

/** One test per rule of test/entra/signin/rules.ts, through the WS-Fed (SAML 1.1) pipeline. */
describe('Entra double: WS-Fed sign-in rules', () => {
  let f: FederatedTenant;
  let stranger: IdpKey;
  before(async () => {
    f = await federatedTenant();
    stranger = await newIdpKey('not-in-graph');
  });

  const token = (o: Partial<Saml11Options> = {}) =>
    saml11Assertion({ key: f.key, issuer: ISSUER, immutableId: ALICE_IMMUTABLE_ID, upn: 'alice@corp.example.com', ...o });
  const validate = (wresult: string, mfaRequired = false) =>
    validateWsFedResult(wresult, { tenant: f.tenant, now: new Date(), skewSeconds: DEFAULT_CLOCK_SKEW_SECONDS }, mfaRequired);
  const rejects = (wresult: string, code: string, rule?: string) =>
    assert.throws(() => validate(wresult), (e: unknown) => {
      assert.ok(e instanceof EntraError, String(e));
      assert.equal(e.code, code, `${e.rule}: ${e.message}`);
      if (rule) assert.equal(e.rule, rule);
      return true;
    });

  it('signs in alice with a correct AD FS-shaped token', () => {
    const r = validate(wsFedResult(token()));
    assert.equal(r.user.id, f.alice.id);
    assert.equal(r.immutableId, ALICE_IMMUTABLE_ID);
    assert.equal(r.upnClaim, 'alice@corp.example.com');
    assert.equal(r.mfa, 'not-required');
  });

  it('accepts a token signed with the nextSigningCertificate key (§1.4)', () => {
    assert.equal(validate(wsFedResult(token({ key: f.nextKey }))).user.id, f.alice.id);
  });

  it('accepts RSA-SHA1, which Entra still takes (§2.8)', () => {
    assert.equal(validate(wsFedResult(token({ signatureAlgorithm: 'rsa-sha1' }))).user.id, f.alice.id);
  });

  it('accepts a token without NameIdentifier, as AADInternals sends (§2.6)', () => {
    assert.equal(validate(wsFedResult(token({ nameIdentifier: null }))).user.id, f.alice.id);
  });

  it('rejects a wresult that is not a bare 2005/02 RSTR (§2.3)', () => {
    const wrapped = wsFedResult(token())
      .replace('<t:RequestSecurityTokenResponse ', '<t:RequestSecurityTokenResponseCollection xmlns:t="http://schemas.xmlsoap.org/ws/2005/02/trust"><t:RequestSecurityTokenResponse ')
      .concat('</t:RequestSecurityTokenResponseCollection>');
    rejects(wrapped, 'AADSTS20012', 'rstrShape');
    rejects('<not-xml', 'AADSTS20012');
  });

  it('rejects an RSTR whose TokenType is not SAML 1.1 (§2.3)', () => {
    rejects(wsFedResult(token(), { tokenType: 'urn:oasis:names:tc:SAML:2.0:assertion' }), 'AADSTS20012', 'rstrShape');
  });

  it('rejects an RSTR that applies to another realm (§2.3)', () => {
    rejects(wsFedResult(token(), { appliesTo: 'urn:example:other' }), 'AADSTS20012', 'rstrShape');
  });

  it('rejects an unknown Issuer with AADSTS50107 naming it (§2.11)', () => {
    const issuer = 'http://nowhere.example.com/adfs/services/trust/';
    assert.throws(() => validate(wsFedResult(token({ issuer }))), (e: unknown) =>
      e instanceof EntraError && e.code === 'AADSTS50107'
      && e.message === `AADSTS50107: The requested federation realm object '${issuer}' does not exist.`);
  });

  it('rejects a token signed by a key Graph does not hold (§1.4)', () => {
    rejects(wsFedResult(token({ key: stranger })), 'AADSTS50006', 'signatureByDomainCertificate');
  });

  it('rejects a signature that is not the assertion\'s last child (§2.8)', () => {
    const signed = token();
    const sig = /<ds:Signature[\s\S]*<\/ds:Signature>/.exec(signed)?.[0] ?? '';
    const moved = signed.replace(sig, '').replace('<saml:Conditions', `${sig}<saml:Conditions`);
    rejects(wsFedResult(moved), 'AADSTS50006', 'signatureShape');
  });

  it('rejects claims changed after signing (§2.8)', () => {
    rejects(wsFedResult(token().replace('alice@corp.example.com', 'mallory@corp.example.com')), 'AADSTS50006', 'signatureByDomainCertificate');
  });

  it('rejects an unsigned second assertion beside the signed one (XSW)', () => {
    const evil = token({ key: stranger, immutableId: 'evil' });
    rejects(wsFedResult(token(), { extraToken: evil }), 'AADSTS50008', 'exactlyOneAssertion');
  });

  it('rejects a forged assertion that wraps the signed one (XSW)', () => {
    const good = token();
    const id = /AssertionID="([^"]+)"/.exec(good)?.[1] ?? '';
    const forged = good.replace(ALICE_IMMUTABLE_ID, 'forged').replace(ALICE_IMMUTABLE_ID, 'forged')
      .replace('</saml:Assertion>', `<saml:Advice>${good}</saml:Advice></saml:Assertion>`);
    assert.ok(forged.includes(`AssertionID="${id}"`));
    rejects(wsFedResult(forged), 'AADSTS50008', 'exactlyOneAssertion');
  });

  it('rejects MajorVersion other than 1 (§2.4)', () => {
    rejects(wsFedResult(token({ majorVersion: '2' })), 'AADSTS50008', 'saml11AssertionShape');
  });

  it('rejects an AssertionID starting with a digit (§2.4)', () => {
    rejects(wsFedResult(token({ assertionId: '1d2c3b4a' })), 'AADSTS50008', 'saml11AssertionShape');
  });

  it('rejects an audience other than urn:federation:MicrosoftOnline (§2.5)', () => {
    rejects(wsFedResult(token({ audience: 'https://sp.example.com/' })), 'AADSTS50008', 'audienceIsMicrosoftOnline');
  });

  it('rejects an expired token (§2.5)', () => {
    rejects(wsFedResult(token({ notBeforeOffset: -7200, lifetime: 3600 })), 'AADSTS50013', 'withinTimeWindow');
  });

  it('rejects a token not yet valid beyond the skew (§2.5)', () => {
    rejects(wsFedResult(token({ notBeforeOffset: DEFAULT_CLOCK_SKEW_SECONDS + 60 })), 'AADSTS50013', 'withinTimeWindow');
  });

  it('accepts a token that expired less than the clock skew ago (§2.5)', () => {
    assert.equal(validate(wsFedResult(token({ notBeforeOffset: -3660, lifetime: 3600 }))).user.id, f.alice.id);
  });

  it('rejects a token without the ImmutableID attribute with AADSTS90020 (§2.6)', () => {
    rejects(wsFedResult(token({ immutableIdAttribute: null })), 'AADSTS90020', 'immutableIdPresent');
  });

  it('rejects a NameIdentifier that differs from the ImmutableID (§2.6)', () => {
    rejects(wsFedResult(token({ nameIdentifier: 'someone-else' })), 'AADSTS50008', 'nameIdentifierMatchesImmutableId');
  });

  it('rejects an ImmutableID no user has with AADSTS51004 (§7.2)', () => {
    assert.throws(() => validate(wsFedResult(token({ immutableId: 'bm8tc3VjaC11c2Vy' }))), (e: unknown) =>
      e instanceof EntraError && e.code === 'AADSTS51004'
      && e.message.startsWith(`AADSTS51004: The user account bm8tc3VjaC11c2Vy does not exist in the ${f.tenant.id} directory.`));
  });

  it('matches the ImmutableID case-sensitively (§7.3)', () => {
    rejects(wsFedResult(token({ immutableId: ALICE_IMMUTABLE_ID.toLowerCase() })), 'AADSTS51004', 'immutableIdNamesUser');
  });

  it('rejects a disabled user with AADSTS50057', async () => {
    const g = await federatedTenant();
    g.alice.accountEnabled = false;
    const t = saml11Assertion({ key: g.key, issuer: ISSUER, immutableId: ALICE_IMMUTABLE_ID, upn: 'alice@corp.example.com' });
    assert.throws(() => validateWsFedResult(wsFedResult(t), { tenant: g.tenant, now: new Date(), skewSeconds: 300 }, false),
      (e: unknown) => e instanceof EntraError && e.code === 'AADSTS50057');
  });

  it('rejects a user of another domain signed in by this domain\'s issuer (§4.1)', () => {
    f.tenant.addDomain('other.example.com');
    f.tenant.addUser({ userPrincipalName: 'bob@other.example.com', onPremisesImmutableId: 'Ym9iLWltbXV0YWJsZQ==' });
    rejects(wsFedResult(token({ immutableId: 'Ym9iLWltbXV0YWJsZQ==', upn: 'bob@other.example.com' })), 'AADSTS50008', 'userUnderIssuerDomain');
  });

  it('signs in a subdomain user with the parent domain\'s issuer (§4.1)', () => {
    const carol = f.tenant.addUser({ userPrincipalName: 'carol@eu.corp.example.com', onPremisesImmutableId: 'Y2Fyb2wtaW1tdXRhYmxl' });
    assert.equal(validate(wsFedResult(token({ immutableId: 'Y2Fyb2wtaW1tdXRhYmxl', upn: carol.userPrincipalName }))).user.id, carol.id);
  });

  it('rejects a token without the UPN claim (§2.6)', () => {
    rejects(wsFedResult(token({ upnAttribute: null })), 'AADSTS50008', 'upnClaimPresent');
  });

  describe('MFA against federatedIdpMfaBehavior (§5)', () => {
    const withBehavior = (b: FederatedTenant['federation']['federatedIdpMfaBehavior']) => { f.federation.federatedIdpMfaBehavior = b; };

    it('enforce without an MFA claim sends the user back to the IdP', () => {
      withBehavior('enforceMfaByFederatedIdp');
      assert.equal(validate(wsFedResult(token()), true).mfa, 'redirect-to-idp');
    });

    it('enforce honours AuthenticationMethod multipleauthn (§5.2)', () => {
      withBehavior('enforceMfaByFederatedIdp');
      assert.equal(validate(wsFedResult(token({ authenticationMethod: MFA_METHOD })), true).mfa, 'done-by-idp');
    });

    it('enforce honours authnmethodsreferences multipleauthn (§5.2, observed)', () => {
      withBehavior('enforceMfaByFederatedIdp');
      assert.equal(validate(wsFedResult(token({ authnMethodsReferences: [MFA_METHOD] })), true).mfa, 'done-by-idp');
    });

    it('accept (and null) without an MFA claim leaves MFA to Entra', () => {
      withBehavior(null);
      assert.equal(validate(wsFedResult(token()), true).mfa, 'entra-mfa');
    });

    it('reject ignores the IdP\'s MFA claim', () => {
      withBehavior('rejectMfaByFederatedIdp');
      assert.equal(validate(wsFedResult(token({ authenticationMethod: MFA_METHOD })), true).mfa, 'entra-mfa');
      withBehavior(null);
    });
  });
});
