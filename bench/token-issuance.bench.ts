import { generateSelfSignedCertificate } from '../keys/certificate.js';
import { softwareSigner } from '../keys/signer.js';
import { issueClaims } from '../sts/claims/rules.js';
import { AuthMethod, type Authentication } from '../sts/signin/types.js';
import { saml11FromClaims } from '../sts/tokens/claims-to-saml11.js';
import { wsfedRstr } from '../sts/protocols/wstrust/rstr.js';
import { TrustRegistry } from '../sts/trusts/trust.js';
import type { DirectoryUser } from '../directory/types.js';
import { rsaSignaturesPerSecond, summaryRow, table } from './ceiling.js';

/*
 * Token issuance on one core, without HTTP: claims (Office 365 rules) → SAML 1.1 assertion written
 * canonically → one RSA-2048 signature → WS-Fed RSTR. Compared with raw signatures on the same core.
 */
const cert = await generateSelfSignedCertificate({ subject: 'CN=bench', validityDays: 1, keyBits: 2048 });
const signer = softwareSigner(cert.privateKey, cert.certificateDer, cert.thumbprint);
const trust = TrustRegistry.fromConfig({ entra: { enabled: true, replyUrl: 'https://login.microsoftonline.com/login.srf', tokenLifetimeMinutes: 60, allowWsTrust: true, allowWsTrustFromExtranet: true, samlRequestSigningCertificates: [] }, trusts: [] }).find('urn:federation:MicrosoftOnline')!;
const user = {
  dn: 'CN=Alice,OU=Gatehouse,DC=corp,DC=example,DC=com',
  objectGuid: '11223344-5566-7788-99aa-bbccddeeff00',
  immutableId: 'RDMiEWZViHeZqrvM3e7/AA==',
  upn: 'alice@corp.example.com',
  samAccountName: 'alice',
  groups: [],
  attributes: {},
} as unknown as DirectoryUser;
const auth: Authentication = { user, methods: [AuthMethod.password], instant: new Date(), insideCorporateNetwork: false, persistent: false };
const domains = [{ name: 'corp.example.com' }];

async function issueOne(): Promise<number> {
  const claims = issueClaims(trust, auth, domains);
  const assertion = await saml11FromClaims({ trust, claims, auth, protocol: 'wsfed', defaultIssuer: 'http://sts/adfs/services/trust', signer });
  return wsfedRstr(assertion, trust.identifier).length;
}

for (let i = 0; i < 200; i++) await issueOne();
const durationMs = Number(process.env.BENCH_MS ?? 3000);
let n = 0;
let bytes = 0;
const start = performance.now();
while (performance.now() - start < durationMs) {
  bytes += await issueOne();
  n++;
}
const tokensPerSecond = n / ((performance.now() - start) / 1000);
const ceiling = rsaSignaturesPerSecond();
table([
  { measure: 'raw RSA-2048 SHA-256 signatures / s (1 core, ceiling)', value: ceiling.toFixed(0) },
  { measure: 'WS-Fed tokens issued / s (1 core, claims+assertion+RSTR)', value: tokensPerSecond.toFixed(0) },
  { measure: 'ms per token', value: (1000 / tokensPerSecond).toFixed(3) },
  { measure: 'ms per token beyond the signature', value: (1000 / tokensPerSecond - 1000 / ceiling).toFixed(3) },
  { measure: 'ratio to ceiling', value: `${((tokensPerSecond / ceiling) * 100).toFixed(1)} %` },
  { measure: 'bytes per wresult', value: (bytes / n).toFixed(0) },
]);
summaryRow({ bench: 'token-issuance', measure: 'WS-Fed tokens / s, 1 core, no HTTP', value: tokensPerSecond.toFixed(0), ceiling: `RSA 1 core ${ceiling.toFixed(0)}/s`, ratio: (tokensPerSecond / ceiling).toFixed(3) });
