import { z } from 'zod';

/*
 * The one place every option is defined, validated and documented: its `.describe()` text is the
 * reference documentation and `gatehouse init` renders it as YAML comments (config/render.ts).
 */

/** A secret given inline, from an environment variable (GATEHOUSE_…) or from a file. */
export const secret = z
  .union([
    z.string().min(1),
    z.object({ env: z.string().regex(/^GATEHOUSE_[A-Z0-9_]+$/, 'must name a GATEHOUSE_… variable') }).strict(),
    z.object({ file: z.string().min(1) }).strict(),
  ])
  .describe('a string, {env: GATEHOUSE_NAME} or {file: /path}');
export type SecretInput = z.infer<typeof secret>;

const duration = (what: string, def: number) => z.number().int().positive().default(def).describe(what);

const listen = z
  .object({
    host: z.string().default('0.0.0.0').describe('Address to listen on.'),
    port: z.number().int().min(0).max(65535).default(8443).describe('TCP port of the HTTPS listener (0: any free port).'),
  })
  .strict();

const server = z
  .object({
    publicUrl: z
      .url({ protocol: /^https$/ })
      .default('https://localhost:8443')
      .describe('Base URL users and relying parties reach Gatehouse at; endpoint URLs in metadata derive from it.'),
    listen: listen.default({ host: '0.0.0.0', port: 8443 }),
    tls: z
      .object({
        certFile: z.string().default('tls/server.crt').describe('PEM certificate (chain) of the HTTPS listener; relative paths are relative to this file.'),
        keyFile: z.string().default('tls/server.key').describe('PEM private key of the HTTPS listener.'),
      })
      .strict()
      .default({ certFile: 'tls/server.crt', keyFile: 'tls/server.key' }),
    trustedProxies: z
      .array(z.string().regex(/^[0-9a-fA-F:.]+(\/\d{1,3})?$/, 'must be an IP address or CIDR range'))
      .default([])
      .describe('Addresses of the load balancers in front of Gatehouse, whose X-Forwarded-For is believed (client IP for audit, extranet policy, insidecorporatenetwork). Never "all": a client could then claim any address.'),
    shutdownGraceMs: duration('How long a graceful shutdown waits for open requests before closing them (ms).', 10_000),
    workers: z.number().int().min(0).max(256).default(0).describe('Processes of `gatehouse serve` sharing the listener (node:cluster), each a full server; 0: one per CPU core. They share state only through the store; SIGHUP restarts them one by one, the probe answers 200 only while every worker is ready.'),
  })
  .strict();

const store = z
  .object({
    kind: z.enum(['sqlite', 'postgres']).default('sqlite').describe('Storage backend: sqlite (embedded, one node) or postgres (a farm: every node on one database, any node serves any request).'),
    sqlitePath: z.string().default('var/gatehouse.db').describe('SQLite database file; relative to this file. Also the source of `gatehouse store copy --from sqlite`.'),
    url: secret.optional().describe('PostgreSQL connection URL (postgres://user:password@host:5432/db?sslmode=verify-full), with kind postgres; a secret, so {env: GATEHOUSE_PG_URL} keeps the password out of this file.'),
    poolSize: z.number().int().min(1).max(100).default(10).describe('PostgreSQL connections each node keeps at most.'),
    statementTimeoutMs: duration('Time limit of one PostgreSQL statement (ms); a request whose statement takes longer is answered 503.', 5000),
    connectTimeoutMs: duration('Time to wait for a PostgreSQL connection (ms); while the database is down requests are answered 503 after this.', 2000),
    migrateOnStart: z.boolean().default(true).describe('Apply missing PostgreSQL schema migrations when a node starts (under a lock, so nodes starting together do not race); false: only `gatehouse store migrate` does, and a node refuses an older schema.'),
  })
  .strict()
  .refine((s) => s.kind !== 'postgres' || s.url !== undefined, { message: 'kind postgres needs url', path: ['url'] });

/** Exported so tests that build a directory by hand take the defaults from here, not from a copy. */
export const ldapDirectory = z
  .object({
    kind: z.literal('ldap'),
    dcs: z
      .array(z.string().regex(/^ldaps?:\/\/[^/]+$/, 'must be ldap://host[:port] or ldaps://host[:port]'))
      .min(1)
      .describe('Domain controllers in order of preference; a refused or hanging DC is skipped and retried later.'),
    startTls: z.boolean().default(false).describe('Use StartTLS on ldap:// URLs (AD refuses simple binds without transport encryption).'),
    caFile: z.string().optional().describe('PEM CA bundle that signed the DCs’ LDAPS certificates; system CAs when absent.'),
    baseDn: z.string().min(1).describe('Search base for users and groups, e.g. DC=corp,DC=example,DC=com.'),
    netbiosDomain: z.string().optional().describe('NetBIOS domain name accepted in DOMAIN\\user sign-ins (any other DOMAIN\\ is no user of ours); read from the domain’s crossRef in CN=Partitions when absent.'),
    serviceAccount: z
      .object({ dn: z.string().min(1).describe('DN or UPN of the lookup account.'), password: secret })
      .strict()
      .describe('Read-only account used to find users before binding as them.'),
    connectTimeoutMs: duration('Time to wait for a DC to accept a connection before trying the next (ms).', 1000),
    operationTimeoutMs: duration('Time limit of one LDAP operation (ms).', 5000),
    retryDownAfterMs: duration('How long a failed DC is skipped before it is tried again (ms).', 30_000),
    poolSize: z
      .number()
      .int()
      .min(1)
      .default(8)
      .describe('Connections kept open per DC and worker, for lookups and for sign-in binds each (a bind on an open LDAPS connection costs a fifth of a new one). Callers beyond it wait for a free connection rather than open more: a DC does not get slower by being asked more at once.'),
    queueTimeoutMs: duration('How long a sign-in waits for a free connection of a full pool before it tries the next DC (ms); then, with every DC busy, it is answered 503 “try again”. Waiting is this machine being busy: it never marks a DC down.', 5000),
    maxQueued: z.number().int().min(0).default(256).describe('Callers waiting for a connection per DC and kind at most; one more goes to the next DC (or is answered 503) at once instead of queueing without bound.'),
    groupCacheSeconds: z.number().int().min(0).default(300).describe('How long the name of a group SID (from the user’s tokenGroups) is remembered, so a sign-in reads the user alone and not the groups again (0: name them every time). A renamed group shows in tokens after this.'),
  })
  .strict();

const fileDirectory = z
  .object({
    kind: z.literal('file'),
    path: z.string().min(1).describe('YAML file of users with scrypt password hashes (for machines without AD).'),
    netbiosDomain: z.string().optional().describe('NetBIOS domain name accepted in DOMAIN\\user sign-ins; the first label of each user’s UPN suffix, upper-cased, when absent.'),
  })
  .strict();

const federatedDomain = z
  .object({
    name: z.string().regex(/^[a-z0-9.-]+\.[a-z]{2,}$/i, 'must be a DNS domain name').describe('A federated UPN suffix.'),
    issuerUri: z
      .string()
      .optional()
      .describe('Token Issuer for users of this domain; exactly the issuerUri set in Entra. Default http://{domain}/adfs/services/trust/ (ENTRA.md §4.1).'),
  })
  .strict();

/**
 * The settings of each domain's Graph `internalDomainFederation` that are choices rather than facts
 * of our endpoints and keys (ENTRA.md §1.2); `gatehouse federation plan|apply|verify` set them.
 */
const domainFederation = {
  displayName: z.string().min(1).default('Gatehouse').describe('displayName of each domain’s federation configuration in Entra.'),
  preferredAuthenticationProtocol: z
    .enum(['wsFed', 'saml'])
    .default('wsFed')
    .describe('Protocol Entra uses to send users here: wsFed (WS-Federation + SAML 1.1, what AD FS and rich clients use) or saml (SAML 2.0, ENTRA.md §3).'),
  federatedIdpMfaBehavior: z
    .enum(['acceptIfMfaDoneByFederatedIdp', 'enforceMfaByFederatedIdp', 'rejectMfaByFederatedIdp'])
    .default('acceptIfMfaDoneByFederatedIdp')
    .describe('Whether Entra accepts MFA done here, insists on it, or always does its own (ENTRA.md §5.1); Entra’s own default is accept.'),
  promptLoginBehavior: z
    .enum(['nativeSupport', 'translateToFreshPasswordAuthentication', 'disabled'])
    .default('nativeSupport')
    .describe('How Entra passes an app’s prompt=login (ENTRA.md §2.1): nativeSupport sends prompt=login, which Gatehouse honours by asking for credentials again and which leaves the method to us; translateToFreshPasswordAuthentication sends wfresh=0 with wauth=password, which would rule out any other method; disabled sends wfresh=0 only.'),
  isSignedAuthenticationRequestRequired: z
    .boolean()
    .default(false)
    .describe('Entra signs its SAML 2.0 AuthnRequests (ENTRA.md §3.1); only meaningful with preferredAuthenticationProtocol saml.'),
};

const keys = z
  .object({
    keyEncryptionKey: secret.describe('32 random bytes, base64: encrypts private keys at rest (AES-256-GCM). Losing it loses the keys.'),
    signingValidityDays: z.number().int().min(30).max(3650).default(365).describe('Lifetime of generated token-signing certificates (days).'),
    signingKeyBits: z.union([z.literal(2048), z.literal(3072), z.literal(4096)]).default(2048).describe('RSA key size of generated token-signing keys.'),
    warnDaysBeforeExpiry: z.number().int().positive().default(30).describe('`doctor` warns when the signing certificate has fewer days left.'),
    autoRollover: z.boolean().default(true).describe('Replace generated certificates before they expire, as AD FS AutoCertificateRollover: a next one is made, published, pushed to Entra, then promoted. Imported certificates are never replaced automatically.'),
    generateDaysBeforeExpiry: z.number().int().min(1).default(20).describe('Days before the active certificate expires that its successor is generated and published as next (AD FS CertificateGenerationThreshold: 20).'),
    promoteDaysAfterGeneration: z.number().int().min(0).default(5).describe('Days a next certificate is published before it becomes active, so partners that read metadata pick it up (AD FS CertificatePromotionThreshold: 5). Never before Entra knows it.'),
    refreshSeconds: z.number().int().min(1).max(300).default(30).describe('How often every node re-reads the certificates (a promotion reaches all nodes within this time, and metadata is re-signed) and one node, by a lease in the store, checks the rollover.'),
  })
  .strict();


const claimMapping = z
  .object({
    attribute: z.string().min(1).describe('LDAP attribute of the user (e.g. mail, department), or `upn`, `immutableId`, `groups`.'),
    claimType: z.string().min(1).describe('Claim type URI it becomes, e.g. http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress.'),
  })
  .strict();

const samlEndpoint = z
  .object({
    binding: z.enum(['post', 'redirect']).describe('HTTP-POST or HTTP-Redirect (SAML 2.0 Bindings §3.4, §3.5).'),
    location: z.url().describe('The endpoint URL; a request naming another is refused.'),
    index: z.number().int().min(0).optional().describe('AssertionConsumerServiceIndex of an ACS (SAML 2.0 Metadata §2.2.3).'),
    isDefault: z.boolean().default(false).describe('The ACS used when a request names none.'),
    responseLocation: z.url().optional().describe('A single logout endpoint only: where LogoutResponses to this party go when not to `location` (SAML 2.0 Metadata §2.2.2 ResponseLocation).'),
  })
  .strict();

const saml = z
  .object({
    assertionConsumerServices: z.array(samlEndpoint).min(1).describe('Where Responses may be sent: a request naming an ACS that is not here (by URL or index) is refused.'),
    singleLogoutServices: z.array(samlEndpoint).default([]).describe('Where LogoutRequests and LogoutResponses for this party go; no SLO for it when empty.'),
    signingCertificates: z.array(z.string().min(1)).default([]).describe('PEM certificates (or files) whose keys may sign this party’s AuthnRequests and LogoutRequests; the only keys a request signature is checked with.'),
    requireSignedRequests: z.boolean().default(false).describe('Refuse unsigned AuthnRequests and LogoutRequests (metadata AuthnRequestsSigned).'),
    sign: z.enum(['assertion', 'response', 'both']).default('assertion').describe('What Gatehouse signs: the assertion (AD FS default), the Response, or both. WantAssertionsSigned in SP metadata forces the assertion to be signed.'),
    allowSha1: z.boolean().default(false).describe('Accept RSA-SHA1 signatures on this party’s requests (Entra signs its AuthnRequests with SHA-1); never for what Gatehouse signs unless signatureAlgorithm says so.'),
    encryptionCertificate: z.string().min(1).optional().describe('PEM certificate (or file) to encrypt assertions to; assertions are not encrypted when absent.'),
    dataEncryption: z.enum(['aes256-gcm', 'aes256-cbc']).default('aes256-gcm').describe('Cipher of an encrypted assertion; the key is transported with RSA-OAEP.'),
    nameIdFormat: z.enum(['persistent', 'transient', 'emailAddress', 'unspecified']).default('unspecified').describe('NameID format when the request names none (NameIDPolicy wins when it names one this party allows).'),
    allowIdpInitiated: z.boolean().default(false).describe('List this party on /adfs/ls/idpinitiatedsignon and allow loginToRp= for it.'),
  })
  .strict();

/** One relying-party trust; exported so a trust added from metadata (metadata/trust-admin.ts) gets the same defaults and checks. */
export const trust = z
  .object({
    identifier: z.string().min(1).describe('The relying party’s identifier (wtrealm / AppliesTo / SAML audience).'),
    name: z.string().min(1).describe('Display name, shown on sign-out and in audit events.'),
    replyUrls: z.array(z.url()).min(1).describe('Where tokens may be sent. A wreply outside this list is refused (no open redirect); the first is the default.'),
    ruleSet: z.enum(['office365', 'mapped']).default('mapped').describe('Claim rules: the built-in Office 365 set, or `claims` mappings.'),
    nameIdAttribute: z.string().default('upn').describe('With ruleSet mapped: the attribute sent as the NameIdentifier.'),
    claims: z.array(claimMapping).default([]).describe('With ruleSet mapped: attribute → claim mappings.'),
    tokenLifetimeMinutes: z.number().int().min(1).max(1440).default(60).describe('Validity of issued tokens (AD FS default: 60).'),
    signatureAlgorithm: z.enum(['rsa-sha256', 'rsa-sha384', 'rsa-sha512', 'rsa-sha1']).default('rsa-sha256').describe('Token signature algorithm; rsa-sha1 only for a party that cannot do better.'),
    allowWsTrust: z.boolean().default(true).describe('Allow rich clients (WS-Trust username/password) to get tokens for this party.'),
    allowWsTrustFromExtranet: z.boolean().default(true).describe('Allow it also from outside corporateNetwork (AD FS extranet policy); false keeps password spraying off the internet.'),
    signOutUrl: z.url().optional().describe('Where wsignoutcleanup1.0 is sent at sign-out; the first reply URL when absent.'),
    saml: saml.optional().describe('SAML 2.0 service provider settings: present for a party that signs in over SAML 2.0 (AD FS SAML endpoints and certificates).'),
  })
  .strict();

/**
 * An OAuth 2.0 / OpenID Connect client in RFC 7591 dynamic-registration metadata, as in
 * `oidc.clients` and in the JSON file `gatehouse client add --file` reads; other RFC 7591 names
 * (logo_uri, contacts…) are kept. Beside them, Gatehouse's own: the claim rules and the subject.
 */
export const oidcClient = z
  .object({
    client_id: z.string().regex(/^[\x21-\x7e]{1,200}$/, 'printable ASCII without spaces, at most 200 characters').describe('The client identifier (AD FS ClientId).'),
    client_secret: secret.optional().describe('The secret of a confidential client using client_secret_basic or client_secret_post; at least 32 characters.'),
    client_name: z.string().min(1).max(200).optional().describe('Shown on the sign-in page and in audit events.'),
    redirect_uris: z.array(z.url()).default([]).describe('Where codes may be sent, compared exactly (OAuth 2.0 Security BCP §4.1.3); a request naming another is refused without a redirect.'),
    post_logout_redirect_uris: z.array(z.url()).default([]).describe('Where RP-initiated logout may return to.'),
    token_endpoint_auth_method: z.enum(['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'none']).optional().describe('How the client authenticates at the token endpoint: a secret, a JWT signed with a key in `jwks` / `jwks_uri` (RFC 7523), or none (a public client, PKCE required). Default: client_secret_basic with a secret, none without.'),
    grant_types: z.array(z.enum(['authorization_code', 'refresh_token', 'urn:ietf:params:oauth:grant-type:device_code'])).default(['authorization_code', 'refresh_token']).describe('Grants the client may use; the device code grant is for CLIs without a browser.'),
    response_types: z.array(z.literal('code')).default(['code']).describe('Only the authorization code flow (implicit and hybrid are not offered: OAuth 2.0 Security BCP §2.1.2).'),
    jwks: z.object({ keys: z.array(z.record(z.string(), z.unknown())).min(1) }).optional().describe('Public keys of a private_key_jwt client.'),
    jwks_uri: z.url().optional().describe('Where the public keys of a private_key_jwt client are fetched from.'),
    application_type: z.enum(['web', 'native']).optional().describe('native allows loopback and custom-scheme redirect URIs (RFC 8252).'),
    frontchannel_logout_uri: z.url().optional().describe('Loaded in a hidden frame at sign-out (OpenID Connect Front-Channel Logout), with the WS-Federation and SAML parties of the session.'),
    claims: z.array(claimMapping).default([]).describe('Gatehouse: claim rules beyond upn, unique_name, sid, groups and the profile/email scopes (the attribute → claim mappings of trusts).'),
    subject: z.enum(['objectGuid', 'immutableId']).default('objectGuid').describe('Gatehouse: what `sub` is: the objectGUID, or the ImmutableID (the source anchor Entra knows, ENTRA.md §7.1).'),
    resources: z.array(z.string().min(1)).default([]).describe('Gatehouse: `oidc.resources` identifiers this client may get access tokens for (AD FS: the Web API permits the client).'),
  })
  .loose();
export type OidcClientInput = z.input<typeof oidcClient>;

const oidcResource = z
  .object({
    identifier: z.string().min(1).describe('The resource (AD FS Web API identifier): the `resource` parameter or RFC 8707 resource indicator, and the access token’s audience.'),
    name: z.string().min(1).optional().describe('Display name.'),
    scopes: z.array(z.string().regex(/^[\x21\x23-\x5b\x5d-\x7e]+$/)).default(['user_impersonation']).describe('Scopes of this resource a client may ask for (AD FS default: user_impersonation).'),
    claims: z.array(claimMapping).default([]).describe('Claim rules of the access token beyond the built-in ones.'),
    accessTokenLifetimeMinutes: z.number().int().min(1).max(1440).optional().describe('Access token lifetime for this resource; `oidc.accessTokenLifetimeMinutes` when absent.'),
  })
  .strict();

const oidc = z
  .object({
    enabled: z.boolean().default(true).describe('Serve OpenID Connect / OAuth 2.0 at AD FS’s paths (/adfs/oauth2/…, /adfs/.well-known/openid-configuration, /adfs/discovery/keys, /adfs/userinfo), issuer https://{host}/adfs.'),
    clients: z.array(oidcClient).default([]).describe('OAuth clients from the config; `gatehouse client add` adds more at run time (every node sees them on the next request).'),
    resources: z.array(oidcResource).default([]).describe('Web APIs clients get access tokens for (JWT, audience = identifier).'),
    idTokenLifetimeMinutes: z.number().int().min(1).max(1440).default(60).describe('ID token validity (AD FS: 60).'),
    accessTokenLifetimeMinutes: z.number().int().min(1).max(1440).default(60).describe('Access token validity (AD FS: 60).'),
    authorizationCodeLifetimeSeconds: z.number().int().min(10).max(600).default(60).describe('Authorization code validity; a code is single-use whatever its age.'),
    refreshTokenLifetimeMinutes: z.number().int().min(1).default(480).describe('Refresh tokens are sliding: each use returns a new one valid this long, the used one stops working (AD FS: 8 h without keep-me-signed-in).'),
    refreshTokenMaxLifetimeDays: z.number().int().min(1).default(90).describe('No refresh chain outlives this, however often it slides: then the user signs in again.'),
    deviceCodeLifetimeMinutes: z.number().int().min(1).max(60).default(15).describe('How long a device code and its user code may be entered (AD FS: 15).'),
  })
  .strict();

/** Relying-party trusts added from metadata (`gatehouse trust add --metadata`), kept in the store. */
const partnerMetadata = z
  .object({
    reloadSeconds: z.number().int().min(1).max(30).default(30).describe('How often every node re-reads the trusts added, changed or removed with `gatehouse trust` (they take effect within this time, no restart).'),
    refreshMinutes: z.number().int().min(1).default(1440).describe('How often a trust added from a metadata URL is fetched again, by one node (a lease in the store); a failed fetch is logged and audited and the trust kept as it was (AD FS trust monitoring: once a day).'),
    timeoutMs: duration('Time limit of one metadata fetch (ms).', 10_000),
    maxBytes: z.number().int().min(1024).max(16 * 1024 * 1024).default(1024 * 1024).describe('Largest metadata document accepted (bytes).'),
    caFile: z.string().optional().describe('PEM CA bundle to trust for metadata URLs (an internal CA); system CAs when absent.'),
  })
  .strict();

/** The audit log (README "Audit log"): every event in the store, and as JSON lines in a file when set. */
const audit = z
  .object({
    file: z.string().optional().describe('File the audit events are appended to, one JSON object per line with its event id (for a SIEM); relative to this file; none when absent. SIGHUP reopens it after log rotation.'),
    retentionDays: z.number().int().min(1).default(90).describe('Days audit events are kept in the store; older ones are purged by the housekeeping every node runs (with expired sessions, replay markers and counters).'),
  })
  .strict();

const entra = z
  .object({
    enabled: z.boolean().default(true).describe('Add Microsoft Entra ID (urn:federation:MicrosoftOnline) as a relying party with the Office 365 rules.'),
    replyUrl: z.url().default('https://login.microsoftonline.com/login.srf').describe('Entra’s passive sign-in endpoint (ENTRA.md §2.2); differs only in sovereign clouds.'),
    tokenLifetimeMinutes: z.number().int().min(1).max(1440).default(60).describe('Validity of tokens for Entra (AD FS: 60, ENTRA.md §2.5).'),
    allowWsTrust: z.boolean().default(true).describe('Allow rich clients (Outlook, PowerShell, MSAL username/password) through WS-Trust.'),
    allowWsTrustFromExtranet: z.boolean().default(true).describe('Allow it also from outside corporateNetwork (AD FS extranet policy).'),
    samlRequestSigningCertificates: z
      .array(z.string().min(1))
      .default([])
      .describe('With preferredAuthenticationProtocol saml: the certificate(s) Entra signs its AuthnRequests with, from https://nexus.microsoftonline-p.com/federationmetadata/saml20/federationmetadata.xml (ENTRA.md §3.1); PEM, base64 or a file. Required when isSignedAuthenticationRequestRequired.'),
  })
  .strict();

const session = z
  .object({
    lifetimeMinutes: z.number().int().min(1).default(480).describe('Single sign-on lifetime: within it a further relying party gets a token without a prompt (AD FS: 8 h).'),
    cookieName: z.string().regex(/^[A-Za-z0-9_-]+$/).default('gatehouse_sso').describe('Name of the SSO cookie.'),
    userRereadSeconds: z.number().int().min(0).default(60).describe('A token from the SSO session re-reads the user from AD (account state, attributes, groups) when the last read is older than this; a user disabled in AD stops getting tokens within it. 0: every token reads AD.'),
  })
  .strict();

const branding = z
  .object({
    organisation: z.string().default('Gatehouse').describe('Organisation name shown on the sign-in page.'),
    logoUrl: z.string().optional().describe('URL of a logo for the sign-in page.'),
    primaryColour: z.string().regex(/^#[0-9a-fA-F]{6}$/).default('#0b5cab').describe('Accent colour of buttons and links.'),
    signInTitle: z.string().default('Sign in').describe('Heading of the sign-in page.'),
    helpText: z.string().optional().describe('A line under the form, e.g. where to get help.'),
    usernameHint: z.string().default('someone@example.com').describe('Placeholder of the user name field.'),
    texts: z.record(z.string(), z.string()).default({}).describe('Replacements for the pages’ words, by key (translation or rewording); the keys and English defaults are in sts/ui/texts.ts.'),
  })
  .strict();

const lockout = z
  .object({
    extranetThreshold: z.number().int().min(0).default(10).describe('Failed passwords for one user from outside corporateNetwork, from addresses unfamiliar to the account (in logOnly mode: from anywhere), before further such attempts are refused without asking AD (AD FS ExtranetLockoutThreshold; 0: no extranet lockout, no familiar addresses learnt). Keep it below AD’s own lockout threshold.'),
    observationWindowMinutes: z.number().int().min(1).default(30).describe('How long failed extranet attempts are remembered.'),
    mode: z
      .enum(['enforce', 'logOnly'])
      .default('enforce')
      .describe('Extranet smart lockout (AD FS ExtranetLockoutMode): enforce counts failures from familiar and unfamiliar locations apart, extranetThreshold for unfamiliar ones and familiarThreshold for addresses the account signed in from before, so a spray from elsewhere cannot lock the real user out (AdfsSmartLockoutEnforce); logOnly learns familiar addresses and audits what enforce would refuse, while one counter per account whatever the location refuses at extranetThreshold (AdfsSmartLockoutLogOnly).'),
    familiarThreshold: z.number().int().min(1).optional().describe('Failed passwords from the account’s familiar addresses before those are refused too (enforce mode); default extranetThreshold. AD counts both locations: keep familiarThreshold + extranetThreshold below AD’s lockout threshold, and observationWindowMinutes at least AD’s “reset lockout counter after”.'),
    familiarAddresses: z.number().int().min(1).max(100).default(20).describe('Familiar addresses kept per account, the least recently used forgotten first (AD FS keeps 20). An IPv6 address counts by its /64.'),
    familiarAddressDays: z.number().int().min(1).default(90).describe('A familiar address the account has not signed in from for this many days is forgotten (addresses are personal data: kept no longer than useful).'),
  })
  .strict();

/** Smart card / client-certificate sign-in (AD FS certificate authentication on its own TLS port). */
const certificateAuth = z
  .object({
    enabled: z.boolean().default(false).describe('Offer "Sign in with a certificate" on the login page and listen on `port` for it.'),
    host: z.string().optional().describe('Address the certificate listener binds; server.listen.host when absent.'),
    port: z.number().int().min(1).max(65535).default(49443).describe('TCP port of the listener that asks for a client certificate, at the same host name as server.publicUrl (AD FS uses 49443).'),
    caFiles: z.array(z.string().min(1)).default([]).describe('PEM files of the CAs that issue user certificates (roots and intermediates); relative to this file. Only chains ending at one of them sign in, and their names are the acceptable CAs the browser filters its certificates by.'),
    mapping: z
      .array(z.enum(['upn', 'altSecurityIdentities']))
      .min(1)
      .default(['upn', 'altSecurityIdentities'])
      .describe('How a certificate names its AD user, tried in this order: upn = the UPN in the SAN otherName (1.3.6.1.4.1.311.20.2.3) is the userPrincipalName; altSecurityIdentities = the user carries X509:<I>issuer<S>subject, X509:<I>issuer<SR>serial, X509:<SKI>… or X509:<SHA1-PUKEY>… of this certificate (MS-PKCA 3.1.5.2.1.3).'),
    revocation: z
      .object({
        mode: z.enum(['crl', 'ocsp', 'both', 'none']).default('crl').describe('How revocation is checked: crl = the CRL of the certificate’s distribution point (or crlFiles); ocsp = its AIA OCSP responder; both = OCSP, then CRL when OCSP gives no answer; none = not checked.'),
        failMode: z.enum(['soft', 'hard']).default('hard').describe('When no revocation answer can be had (responder or CRL unreachable, stale): hard = refuse the sign-in; soft = accept it, audited as unchecked.'),
        crlFiles: z.array(z.string().min(1)).default([]).describe('CRL files (PEM or DER) used for their issuers instead of downloading; relative to this file; re-read when the cached copy expires.'),
        fetchTimeoutMs: duration('Time limit of one CRL download or OCSP request (ms).', 5000),
        cacheMinutes: duration('Longest a downloaded CRL or OCSP answer is reused; never past its own nextUpdate.', 60),
      })
      .strict()
      .default({ mode: 'crl', failMode: 'hard', crlFiles: [], fetchTimeoutMs: 5000, cacheMinutes: 60 }),
    hopSeconds: duration('How long the hop from the login page to the certificate listener, and the result back, stay usable (s).', 300),
  })
  .strict()
  // With no CA given, OpenSSL would fall back to no trust anchor at all, or an operator might expect the system's public CAs: neither signs anyone in.
  .refine((c) => !c.enabled || c.caFiles.length > 0, { message: 'certificate sign-in needs caFiles: the CAs that issue user certificates', path: ['caFiles'] });

const rateLimit = z
  .object({
    perAddressPerMinute: z.number().int().min(0).default(600).describe('Credential-bearing requests (login and change-password form posts, WS-Trust) one client address may send per minute before it is answered 429 with Retry-After, across every node sharing the store; 0: off. Parsing and a directory bind are the work an unauthenticated client can make us do.'),
    failedPerAddress: z.number().int().min(0).default(100).describe('Failed passwords (wrong password, unknown user, refused by the extranet lockout) one client address may cause within failedWindowMinutes before its credential-bearing requests are answered 429 until the window ends, across every node; 0: off. A password spray tries few passwords on many accounts, so no account lockout sees it: this bound does (an IPv6 client counts by its /64).'),
    failedWindowMinutes: z.number().int().min(1).default(15).describe('The window of failedPerAddress, and how long a throttled address waits at most.'),
    bannedAddresses: z
      .array(z.string().regex(/^[0-9a-fA-F:.]+(\/\d{1,3})?$/, 'must be an IP address or CIDR range'))
      .default([])
      .describe('Client addresses or CIDR ranges refused before anything is parsed or asked of the directory (AD FS BannedIpList): the login and change-password posts get a page, WS-Trust a fault, every refusal window audited once.'),
  })
  .strict();

const corporateNetwork = z
  .array(z.string().regex(/^[0-9a-fA-F:.]+\/\d{1,3}$/, 'must be a CIDR range'))
  .default([])
  .describe('Client address ranges that count as inside the corporate network (insidecorporatenetwork claim, extranet policies).');

/** Microsoft Graph application credentials (ENTRA.md §8.1); used by sync and by federation management. */
const graph = z
  .object({
    tenantId: z.string().min(1).describe('Entra tenant id (GUID) or initial domain, e.g. contoso.onmicrosoft.com.'),
    clientId: z.string().min(1).describe('Application (client) id of the app registration Gatehouse signs in as.'),
    clientSecret: secret.optional().describe('Client secret of the app registration; give this or `certificate`.'),
    certificate: z
      .object({
        certFile: z.string().min(1).describe('PEM certificate registered on the app; relative to this file.'),
        keyFile: z.string().min(1).describe('PEM private key of that certificate; relative to this file.'),
      })
      .strict()
      .optional()
      .describe('Certificate credential (client assertion), preferred over a secret.'),
    authorityHost: z.url().default('https://login.microsoftonline.com').describe('Token authority host; differs in sovereign clouds (and in tests).'),
    graphUrl: z.url().default('https://graph.microsoft.com').describe('Microsoft Graph host; Gatehouse calls its /v1.0 endpoints.'),
    caFile: z.string().optional().describe('PEM CA bundle to trust for the authority and Graph (tests, TLS-inspecting proxies); system CAs when absent.'),
    timeoutMs: z.number().int().positive().default(30_000).describe('Time limit of one Graph or token call (ms).'),
    maxConcurrentBatches: z.number().int().min(1).max(16).default(4).describe('JSON $batch requests (20 writes each) in flight at once.'),
  })
  .strict()
  .refine((g) => g.clientSecret !== undefined || g.certificate !== undefined, 'give clientSecret or certificate');

const attributeFlow = z
  .object({
    target: z.string().min(1).describe('Entra user property, e.g. jobTitle, usageLocation.'),
    source: z.string().min(1).describe('LDAP attribute it comes from (first value), e.g. title, c.'),
  })
  .strict();

const sync = z
  .object({
    ous: z.array(z.string().min(1)).default([]).describe('OUs whose users and groups (sub-OUs included) are synced; the whole base DN when empty.'),
    account: z
      .object({ dn: z.string().min(1).describe('DN or UPN of the sync account.'), password: secret })
      .strict()
      .optional()
      .describe('Account with "Replicating Directory Changes" on the domain (DirSync); the directory service account when absent.'),
    deleteThreshold: z.number().int().min(0).default(500).describe('A run that would delete more objects than this exports nothing and reports (Entra Connect default 500); 0 disables the check.'),
    staging: z.boolean().default(false).describe('Staging mode: import and compute changes, export nothing (like an Entra Connect staging server).'),
    scheduleMinutes: z.number().int().min(1).default(30).describe('Interval of the scheduled delta sync (Entra Connect default 30 min).'),
    writeBackConsistencyGuid: z.boolean().default(false).describe('Write the source anchor to ms-DS-ConsistencyGuid when empty, as Entra Connect does (needs write rights).'),
    attributeFlows: z.array(attributeFlow).default([]).describe('Extra or replaced user attribute flows on top of Entra Connect’s defaults.'),
  })
  .strict();

const doctor = z
  .object({
    testUser: z
      .object({
        upn: z.string().regex(/^[^@\s]+@[^@\s]+$/, 'must be a UPN').describe('UPN of an AD account kept for the test (no rights needed; not an admin).'),
        password: secret,
      })
      .strict()
      .optional()
      .describe('Account `gatehouse doctor` signs in with through the real WS-Trust endpoint, checking the token as Entra would; no synthetic sign-in when absent.'),
    tlsWarnDaysBeforeExpiry: z.number().int().positive().default(30).describe('`doctor` warns when the public endpoint’s TLS certificate has fewer days left.'),
    maxClockSkewSeconds: z
      .number()
      .int()
      .positive()
      .default(300)
      .describe('`doctor` fails when this machine’s clock and a DC’s differ by more (Kerberos’ default tolerance, and the skew Entra is assumed to allow, ENTRA.md §2.5); it warns from a fifth of it.'),
  })
  .strict();

/** The second factor (issue [E]): providers, and when a sign-in needs one (sts/signin/mfa/policy.ts). */
const mfa = z
  .object({
    totp: z
      .object({
        enabled: z.boolean().default(true).describe('Offer authenticator-app codes (TOTP, RFC 6238: SHA-1, 6 digits, 30 s, as Microsoft and Google Authenticator expect).'),
        issuer: z.string().min(1).max(64).optional().describe('Name the authenticator app shows for the account; branding.organisation when absent.'),
        driftSteps: z.number().int().min(0).max(2).default(1).describe('Time steps of clock drift accepted either side of now (RFC 6238 §5.2 recommends at most one).'),
        enrolment: z
          .enum(['always', 'inside-corporate-network', 'never'])
          .default('always')
          .describe('Who may set up an authenticator after a password sign-in when MFA is needed and they have none: anyone (first use, as Keycloak’s Configure OTP), only from inside corporateNetwork (a stolen password alone cannot enrol from the internet), or nobody (`gatehouse mfa` and another provider only).'),
      })
      .strict()
      .default({ enabled: true, driftSteps: 1, enrolment: 'always' }),
    external: z
      .object({
        url: z.url({ protocol: /^https?$/ }).describe('Endpoint of the MFA service (push, SMS, a vendor’s gateway); Gatehouse POSTs begin and check requests to it (contract: docs/mfa-hook.md).'),
        secret: secret.describe('Shared secret of the HMAC-SHA256 signature on every request and answer (at least 32 random bytes).'),
        name: z.string().min(1).default('external').describe('Name of the method in audit events and on the page.'),
        timeoutMs: z.number().int().min(100).max(30_000).default(5000).describe('Time limit of one call; a call that takes longer fails the sign-in (fail-closed).'),
        caFile: z.string().optional().describe('PEM CA bundle to trust for an https URL (a private CA); system CAs when absent.'),
        groups: z.array(z.string().min(1)).default([]).describe('AD groups (name, DN or SID) whose members use this provider; every user when empty.'),
      })
      .strict()
      .optional()
      .describe('An external second factor behind an HTTP hook; none when absent.'),
    policy: z
      .object({
        trusts: z.array(z.string().min(1)).default([]).describe('Relying-party identifiers that always need MFA (e.g. urn:federation:MicrosoftOnline).'),
        groups: z.array(z.string().min(1)).default([]).describe('AD groups (name, DN or SID) whose members always need MFA.'),
        extranet: z.boolean().default(false).describe('Every sign-in from outside corporateNetwork needs MFA (AD FS extranet MFA policy).'),
      })
      .strict()
      .default({ trusts: [], groups: [], extranet: false })
      .describe('When MFA is needed besides a request asking for it (wauth or RequestedAuthnContext multipleauthn, Entra with enforceMfaByFederatedIdp), which is always honoured.'),
    challengeMinutes: z.number().int().min(1).max(30).default(5).describe('How long a second-factor or enrolment page may be answered.'),
    maxFailures: z.number().int().min(1).default(10).describe('Wrong second factors for one user within 15 minutes before further attempts are refused (a code guesser with the password stops here).'),
  })
  .strict();

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|localhost)$/;

/** The operators' listener (Ory Hydra keeps its admin surface apart from the public one, STYLE.md): metrics, health JSON, the health page. */
const admin = z
  .object({
    enabled: z.boolean().default(false).describe('Serve /metrics (Prometheus), /health (JSON of every server-side doctor check) and the health page (/) on a listener of their own.'),
    host: z.string().default('127.0.0.1').describe('Address of the admin listener: loopback by default, so it is off the public interface; bind an internal address for a Prometheus server elsewhere.'),
    port: z.number().int().min(0).max(65535).default(9443).describe('TCP port of the admin listener (0: any free port).'),
    https: z.boolean().default(true).describe('Serve the admin listener over HTTPS with server.tls’s certificate; false (plain HTTP) is allowed only on a loopback host.'),
    token: secret.optional().describe('Bearer token every admin request must send (Authorization: Bearer …; Prometheus `authorization: {credentials_file: …}`); at least 32 characters. Give this, clientCaFile, or both.'),
    clientCaFile: z.string().optional().describe('PEM CA bundle: a request presenting a client certificate it issued is let in without a token (needs https).'),
  })
  .strict()
  .refine((a) => !a.enabled || a.token !== undefined || a.clientCaFile !== undefined, { message: 'an enabled admin listener needs a token or a clientCaFile', path: ['token'] })
  .refine((a) => a.https || LOOPBACK.test(a.host), { message: 'plain HTTP only on a loopback host: a bearer token must not cross a network in clear', path: ['https'] })
  .refine((a) => a.https || a.clientCaFile === undefined, { message: 'client certificates need https', path: ['clientCaFile'] })
  .refine((a) => typeof a.token !== 'string' || a.token.length >= 32, { message: 'must be at least 32 characters', path: ['token'] });

/** Where alerts go and when they fire; every alert is sent once when it starts and once when it clears. */
const alerts = z
  .object({
    webhook: z
      .object({
        url: z.url({ protocol: /^https?$/ }).describe('URL each alert and each resolve is POSTed to as JSON (status firing / resolved).'),
        secret: secret.optional().describe('Key of an HMAC-SHA256 of the body sent as X-Gatehouse-Signature: sha256=<hex>, so the receiver can tell the message is ours.'),
        timeoutMs: duration('Time limit of one POST (ms).', 5000),
        retries: z.number().int().min(0).max(10).default(3).describe('Further attempts after a failed POST (no answer, 5xx or 429), a second apart and doubling; then the next evaluation tries again.'),
        caFile: z.string().optional().describe('PEM CA bundle to trust for an https URL instead of the system CAs.'),
      })
      .strict()
      .optional()
      .describe('A webhook (JSON) that receives alerts: chat bridges, Alertmanager-style receivers, ticketing.'),
    smtp: z
      .object({
        host: z.string().min(1).describe('SMTP server.'),
        port: z.number().int().min(1).max(65535).default(587).describe('SMTP port (587 submission with STARTTLS, 465 implicit TLS, 25).'),
        secure: z.boolean().default(false).describe('Implicit TLS from the start (port 465); false upgrades with STARTTLS when the server offers it.'),
        requireTls: z.boolean().default(true).describe('Refuse to send unless the connection is encrypted (STARTTLS required when secure is false).'),
        username: z.string().optional().describe('SMTP AUTH user name; no authentication when absent.'),
        password: secret.optional().describe('SMTP AUTH password.'),
        caFile: z.string().optional().describe('PEM CA bundle to trust for the SMTP server’s certificate instead of the system CAs.'),
        from: z.string().min(3).describe('Sender address, e.g. gatehouse@corp.example.com.'),
        to: z.array(z.string().min(3)).min(1).describe('Recipients of every alert and resolve mail.'),
        timeoutMs: duration('Time limit of connecting to and talking with the SMTP server (ms).', 10_000),
      })
      .strict()
      .optional()
      .describe('Mail every alert and resolve as well (optional).'),
    intervalSeconds: z.number().int().min(5).max(3600).default(60).describe('How often one node (by a lease in the store) evaluates the conditions and sends what changed.'),
    certificateWarnDays: z.number().int().positive().optional().describe('Alert when a certificate in use (active or next) has fewer days left; keys.warnDaysBeforeExpiry when absent.'),
    rolloverStuckHours: z.number().int().positive().default(24).describe('Alert when the rollover is this long overdue: a successor not generated, or a next certificate not promoted (often Entra does not know it).'),
    failureSpikePer5Minutes: z.number().int().min(0).default(50).describe('Alert when this many sign-ins fail within five minutes, all nodes together (password spray, a DC refusing binds); 0: off.'),
  })
  .strict();

export const configSchema = z
  .object({
    server: server.default(server.parse({})),
    store: store.default(store.parse({})),
    directory: z.discriminatedUnion('kind', [ldapDirectory, fileDirectory]).describe('Where users are: Active Directory over LDAP, or a file.'),
    federation: z
      .object({
        domains: z.array(federatedDomain).min(1).describe('UPN suffixes federated with Entra ID, one issuer each (ENTRA.md §4).'),
        ...domainFederation,
      })
      .strict(),
    keys,
    entra: entra.default(entra.parse({})),
    trusts: z.array(trust).default([]).describe('Relying parties other than Entra.'),
    audit: audit.default(audit.parse({})).describe('Audit events: who signed in, tokens issued, failures, lockouts, key, trust and federation changes, sync runs (`gatehouse audit`).'),
    partnerMetadata: partnerMetadata.default(partnerMetadata.parse({})).describe('Relying-party trusts added at run time from their metadata (`gatehouse trust`).'),
    session: session.default(session.parse({})),
    oidc: oidc.default(oidc.parse({})).describe('OpenID Connect and OAuth 2.0 (AD FS 2016+): clients, resources, lifetimes.'),
    branding: branding.default(branding.parse({})),
    corporateNetwork,
    lockout: lockout.default(lockout.parse({})),
    rateLimit: rateLimit.default(rateLimit.parse({})),
    certificateAuth: certificateAuth.default(certificateAuth.parse({})),
    log: z
      .object({ level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace']).default('info').describe('Log level of the JSON log on stdout.') })
      .strict()
      .default({ level: 'info' }),
    graph: graph.optional().describe('Microsoft Graph access: an app registration with User.ReadWrite.All and Group.ReadWrite.All for sync, Domain-InternalFederation.ReadWrite.All for `gatehouse federation`.'),
    sync: sync.default(sync.parse({})).describe('AD → Entra ID user and group synchronisation (`gatehouse sync`).'),
    doctor: doctor.default(doctor.parse({})).describe('What `gatehouse doctor` checks beyond what the rest of the config names.'),
    mfa: mfa.default(mfa.parse({})).describe('Multi-factor authentication: providers and policy.'),
    admin: admin.default(admin.parse({})).describe('The admin listener: Prometheus metrics, health JSON and the health page, behind a bearer token or a client certificate.'),
    alerts: alerts.default(alerts.parse({})).describe('Alerts by webhook and mail: certificate expiry, rollover stuck, DC down, failure spikes, sync errors and the delete threshold.'),
  })
  .strict();

export type ConfigInput = z.input<typeof configSchema>;
export type ParsedConfig = z.output<typeof configSchema>;
