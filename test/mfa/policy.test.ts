import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { DirectoryUser } from '../../directory/types.js';
import { MfaPolicy } from '../../sts/signin/mfa/policy.js';
import type { Authentication, SignInRequest } from '../../sts/signin/types.js';
import type { RelyingPartyTrust } from '../../sts/trusts/trust.js';
import { startTestGatehouse, type RunningTestGatehouse } from '../support/gatehouse.js';
import { WebClient } from '../support/web-client.js';

const MFA = 'http://schemas.microsoft.com/claims/multipleauthn';
const groups = [
  { dn: 'CN=GH Staff,OU=Groups,DC=corp,DC=example,DC=com', name: 'GH Staff', sid: 'S-1-5-21-1-2-3-1104' },
  { dn: 'CN=GH All,OU=Groups,DC=corp,DC=example,DC=com', name: 'GH All', sid: 'S-1-5-21-1-2-3-1103' },
];
const req = (trust: string, requestedMethods: string[] = []) => ({ trust: { identifier: trust } as RelyingPartyTrust, protocol: 'wsfed', returnTo: 'https://x', fresh: false, requestedMethods, clientIp: '10.1.1.1' }) as SignInRequest;
const auth = (inside: boolean, userGroups = groups) => ({ user: { groups: userGroups } as unknown as DirectoryUser, methods: [], instant: new Date(), insideCorporateNetwork: inside, persistent: false }) as Authentication;

describe('MFA policy (sts/signin/mfa/policy.ts)', () => {
  it('needs MFA when the request asks, whatever else is configured', () => {
    const none = new MfaPolicy({ trusts: [], groups: [], extranet: false });
    assert.equal(none.reason(req('urn:a', [MFA]), auth(true, [])), 'requested');
    assert.equal(none.reason(req('urn:a', ['http://schemas.microsoft.com/ws/2008/06/identity/authenticationmethod/password']), auth(true, [])), undefined);
    assert.equal(none.reason(req('urn:a'), auth(false, [])), undefined, 'nothing configured, nothing asked');
  });

  it('needs MFA per trust, per group by name, DN or SID in any case, and from the extranet only when so configured', () => {
    assert.equal(new MfaPolicy({ trusts: ['urn:federation:MicrosoftOnline'], groups: [], extranet: false }).reason(req('urn:federation:MicrosoftOnline'), auth(true)), 'trust');
    assert.equal(new MfaPolicy({ trusts: ['urn:federation:MicrosoftOnline'], groups: [], extranet: false }).reason(req('urn:other'), auth(true)), undefined);
    for (const g of ['gh all', 'cn=GH All,ou=groups,dc=corp,dc=example,dc=com', 's-1-5-21-1-2-3-1103']) {
      const p = new MfaPolicy({ trusts: [], groups: [g], extranet: false });
      assert.equal(p.reason(req('urn:a'), auth(true)), 'group', g);
      assert.equal(p.reason(req('urn:a'), auth(true, [groups[0]!])), undefined, `${g}: not a member`);
    }
    const extranet = new MfaPolicy({ trusts: [], groups: [], extranet: true });
    assert.equal(extranet.reason(req('urn:a'), auth(false)), 'extranet');
    assert.equal(extranet.reason(req('urn:a'), auth(true)), undefined, 'inside the corporate network');
  });
});

describe('a request for MFA with no provider configured', () => {
  let gh: RunningTestGatehouse;
  before(async () => {
    gh = await startTestGatehouse({
      directory: { users: [{ upn: 'alice@corp.example.com', password: 'Passw0rd!', objectGuid: '11223344-5566-7788-99aa-bbccddeeff00' }] },
      extra: { mfa: { totp: { enabled: false, driftSteps: 1, enrolment: 'always' } } },
    });
  });
  after(() => gh.stop());

  it('is refused up front rather than downgraded to a password-only token', async () => {
    const res = await new WebClient([gh.tlsCertPem]).get(`${gh.url}/adfs/ls/?wa=wsignin1.0&wtrealm=urn:federation:MicrosoftOnline&wauth=${encodeURIComponent(MFA)}`);
    assert.equal(res.status, 403);
    const html = await res.text();
    assert.match(html, /sign-in method this service does not offer/);
    assert.doesNotMatch(html, /name="Password"/);
  });
});
