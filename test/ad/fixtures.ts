import { randomBytes } from 'node:crypto';
import { Attribute, Change, Client } from 'ldapts';

/** What `Directory.authenticate` must answer for a fixture user with its right password. */
export type FixtureOutcome =
  | 'ok' | 'logon-hours' | 'workstation' | 'password-expired' | 'account-disabled'
  | 'account-expired' | 'must-change-password' | 'locked-out';

export interface FixtureUser {
  upn: string;
  sam: string;
  password: string;
  dn: string;
  expected: FixtureOutcome;
  givenName?: string;
  surname?: string;
  displayName?: string;
  mail?: string;
  /** Direct group CNs; nesting is in `TestBedGroups`. */
  groups: string[];
  /** Hex of the 16 ms-DS-ConsistencyGuid bytes, when set. */
  consistencyGuidHex?: string;
}

export interface FixtureSpec {
  key: string;
  sam: string;
  upnSuffix?: string;
  expected: FixtureOutcome;
  givenName?: string;
  surname?: string;
  mail?: boolean;
  groups?: string[];
  /** Extra attributes set at creation (after the password). */
  attrs?: Record<string, string | Buffer>;
  userAccountControl?: number;
  pso?: 'lockout';
  /** pwdLastSet this many days ago: older than the domain's 42-day maxPwdAge means expired. */
  pwdLastSetDaysAgo?: number;
  consistencyGuid?: boolean;
  /** Bad binds made after creation (locks the account under the lockout PSO). */
  badBinds?: number;
}

const NORMAL_ACCOUNT = 0x200;
const ACCOUNTDISABLE = 0x2;
// 2009-01-01 as a FILETIME: any past instant makes the account expired (MS-ADTS 2.2.16 accountExpires).
const PAST_FILETIME = '128752416000000000';

export const defaultPassword = 'Passw0rd!';

export const fixtureSpecs: FixtureSpec[] = [
  { key: 'alice', sam: 'alice', expected: 'ok', givenName: 'Alice', surname: 'Anders', mail: true, groups: ['GH Staff'] },
  { key: 'jose', sam: 'jose', expected: 'ok', givenName: 'José', surname: 'Müller', mail: true, groups: ['GH Staff'] },
  { key: 'bob', sam: 'bob', upnSuffix: 'fabrikam.example.com', expected: 'ok', givenName: 'Bob', surname: 'Brown', mail: true },
  { key: 'carol', sam: 'carol', expected: 'ok', givenName: 'Carol', surname: 'Chen', consistencyGuid: true },
  { key: 'badpw', sam: 'badpw', expected: 'ok', givenName: 'Bad', surname: 'Password' },
  { key: 'disabled', sam: 'disabled', expected: 'account-disabled', userAccountControl: NORMAL_ACCOUNT | ACCOUNTDISABLE },
  { key: 'expired', sam: 'expired', expected: 'account-expired', attrs: { accountExpires: PAST_FILETIME } },
  { key: 'pwexpired', sam: 'pwexpired', expected: 'password-expired', pwdLastSetDaysAgo: 100 },
  { key: 'mustchange', sam: 'mustchange', expected: 'must-change-password', attrs: { pwdLastSet: '0' } },
  { key: 'locked', sam: 'locked', expected: 'locked-out', pso: 'lockout', badBinds: 3 },
  { key: 'lockme', sam: 'lockme', expected: 'ok', pso: 'lockout' },
  // 21 zero bytes = no hour of the week allowed (MS-ADA2 Logon-Hours).
  { key: 'hours', sam: 'hours', expected: 'logon-hours', attrs: { logonHours: Buffer.alloc(21) } },
  { key: 'workstation', sam: 'workstation', expected: 'workstation', attrs: { userWorkstations: 'NOWHERE01' } },
];

export interface FixtureContext {
  client: Client;
  baseDn: string;
  realm: string;
}

function unicodePwd(password: string): Buffer {
  return Buffer.from(`"${password}"`, 'utf16le');
}

async function addOu(ctx: FixtureContext, dn: string): Promise<void> {
  await ctx.client.add(dn, { objectClass: ['top', 'organizationalUnit'] });
}

export function ouDn(baseDn: string, name?: string): string {
  return name ? `OU=${name},OU=Gatehouse,${baseDn}` : `OU=Gatehouse,${baseDn}`;
}

/** OUs, the nested groups (GH Staff ⊂ GH All) and the extra UPN suffix. */
export async function createStructure(ctx: FixtureContext, upnSuffixes: string[]): Promise<void> {
  await addOu(ctx, ouDn(ctx.baseDn));
  for (const ou of ['People', 'Groups', 'Service']) await addOu(ctx, ouDn(ctx.baseDn, ou));
  const groups = ouDn(ctx.baseDn, 'Groups');
  await ctx.client.add(`CN=GH All,${groups}`, { objectClass: ['top', 'group'], sAMAccountName: 'GH All' });
  await ctx.client.add(`CN=GH Staff,${groups}`, { objectClass: ['top', 'group'], sAMAccountName: 'GH Staff' });
  await ctx.client.modify(`CN=GH All,${groups}`, new Change({
    operation: 'add',
    modification: new Attribute({ type: 'member', values: [`CN=GH Staff,${groups}`] }),
  }));
  await ctx.client.modify(`CN=Partitions,CN=Configuration,${ctx.baseDn}`, new Change({
    operation: 'add',
    modification: new Attribute({ type: 'uPNSuffixes', values: upnSuffixes }),
  }));
}

/** A fine-grained password policy (MS-ADTS 3.1.1.5.2.1) with a lockout threshold: it locks one user, never the domain. */
export async function createLockoutPso(ctx: FixtureContext): Promise<string> {
  const hour = '-36000000000'; // intervals are negative 100 ns counts
  // A day, not an hour: the `locked` fixture must stay locked however long a test bed lives (a slow run, a hand-kept bed).
  const day = '-864000000000';
  const dn = `CN=GH Lockout,CN=Password Settings Container,CN=System,${ctx.baseDn}`;
  await ctx.client.add(dn, {
    objectClass: 'msDS-PasswordSettings',
    'msDS-PasswordSettingsPrecedence': '10',
    'msDS-PasswordReversibleEncryptionEnabled': 'FALSE',
    'msDS-PasswordHistoryLength': '0',
    'msDS-PasswordComplexityEnabled': 'FALSE',
    'msDS-MinimumPasswordLength': '1',
    'msDS-MinimumPasswordAge': '0',
    'msDS-MaximumPasswordAge': '-9223372036854775808',
    'msDS-LockoutThreshold': '3',
    'msDS-LockoutObservationWindow': hour,
    'msDS-LockoutDuration': day,
  });
  return dn;
}

/** FILETIME (100 ns since 1601) of a moment `days` ago. */
export function filetimeDaysAgo(days: number): string {
  const unixMs = BigInt(Date.now() - days * 86_400_000);
  return String((unixMs + 11_644_473_600_000n) * 10_000n);
}

export async function createServiceAccount(ctx: FixtureContext, password: string): Promise<{ dn: string; upn: string }> {
  const dn = `CN=svc-gatehouse,${ouDn(ctx.baseDn, 'Service')}`;
  const upn = `svc-gatehouse@${ctx.realm}`;
  await ctx.client.add(dn, {
    objectClass: ['top', 'person', 'organizationalPerson', 'user'],
    sAMAccountName: 'svc-gatehouse',
    userPrincipalName: upn,
  });
  await ctx.client.modify(dn, [
    new Change({ operation: 'replace', modification: new Attribute({ type: 'unicodePwd', values: [unicodePwd(password)] }) }),
    new Change({ operation: 'replace', modification: new Attribute({ type: 'userAccountControl', values: [String(NORMAL_ACCOUNT | 0x10000)] }) }),
  ]);
  return { dn, upn };
}

function displayNameOf(spec: FixtureSpec): string {
  return spec.givenName && spec.surname ? `${spec.givenName} ${spec.surname}` : spec.sam;
}

/** Creates one user: add, set password, enable, then the attributes that make its case. */
export async function createUser(ctx: FixtureContext, spec: FixtureSpec, psoDn: string | undefined, ldapsUrl: string, caCertPem: string): Promise<FixtureUser> {
  const people = ouDn(ctx.baseDn, 'People');
  const displayName = displayNameOf(spec);
  const dn = `CN=${displayName},${people}`;
  const upn = `${spec.sam}@${spec.upnSuffix ?? ctx.realm}`;
  const mail = spec.mail ? `${spec.sam}@${spec.upnSuffix ?? ctx.realm}` : undefined;
  const entry: Record<string, string | string[]> = {
    objectClass: ['top', 'person', 'organizationalPerson', 'user'],
    sAMAccountName: spec.sam,
    userPrincipalName: upn,
    displayName,
  };
  if (spec.givenName) entry.givenName = spec.givenName;
  if (spec.surname) entry.sn = spec.surname;
  if (mail) entry.mail = mail;
  await ctx.client.add(dn, entry);
  const changes = [
    new Change({ operation: 'replace', modification: new Attribute({ type: 'unicodePwd', values: [unicodePwd(defaultPassword)] }) }),
    new Change({ operation: 'replace', modification: new Attribute({ type: 'userAccountControl', values: [String(spec.userAccountControl ?? NORMAL_ACCOUNT)] }) }),
  ];
  for (const [type, value] of Object.entries(spec.attrs ?? {})) {
    const values = typeof value === 'string' ? [value] : [value];
    changes.push(new Change({ operation: 'replace', modification: new Attribute({ type, values: values as string[] | Buffer[] }) }));
  }
  let consistencyGuidHex: string | undefined;
  if (spec.consistencyGuid) {
    const bytes = randomBytes(16);
    consistencyGuidHex = bytes.toString('hex');
    changes.push(new Change({ operation: 'replace', modification: new Attribute({ type: 'mS-DS-ConsistencyGuid', values: [bytes] }) }));
  }
  await ctx.client.modify(dn, changes);
  for (const group of spec.groups ?? []) {
    await ctx.client.modify(`CN=${group},${ouDn(ctx.baseDn, 'Groups')}`, new Change({
      operation: 'add',
      modification: new Attribute({ type: 'member', values: [dn] }),
    }));
  }
  if (psoDn) {
    await ctx.client.modify(psoDn, new Change({
      operation: 'add',
      modification: new Attribute({ type: 'msDS-PSOAppliesTo', values: [dn] }),
    }));
  }
  for (let i = 0; i < (spec.badBinds ?? 0); i++) await badBind(ldapsUrl, caCertPem, dn);
  const user: FixtureUser = { upn, sam: spec.sam, password: defaultPassword, dn, expected: spec.expected, displayName, groups: spec.groups ?? [] };
  if (spec.givenName) user.givenName = spec.givenName;
  if (spec.surname) user.surname = spec.surname;
  if (mail) user.mail = mail;
  if (consistencyGuidHex) user.consistencyGuidHex = consistencyGuidHex;
  return user;
}

async function badBind(url: string, ca: string, dn: string): Promise<void> {
  const client = new Client({ url, connectTimeout: 2000, timeout: 5000, tlsOptions: { ca } });
  try {
    await client.bind(dn, `wrong-${randomBytes(4).toString('hex')}`);
  } catch {
    // expected: each failure counts towards the lockout threshold
  } finally {
    await client.unbind().catch(() => undefined);
  }
}
