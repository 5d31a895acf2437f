import type { FixtureUser } from '../ad/fixtures.js';

/**
 * The values the structure-aware mutations put where a user name, password, relying party or
 * reply address goes: alice's own spellings (which must still sign in), near misses, directory
 * syntax, and Unicode look-alikes. No other fixture user's name appears: they share alice's
 * password, and the oracle only knows alice (and the PSO users must never see a wrong password).
 */
export interface Target {
  alice: FixtureUser;
  netbios: string;
}

export const ENTRA = 'urn:federation:MicrosoftOnline';
export const APP = 'urn:test:fuzz-app';
export const ENTRA_REPLY = 'https://login.microsoftonline.com/login.srf';
export const APP_REPLIES = ['https://app.example.test/wsfed', 'https://app.example.test/wsfed/second'] as const;
/** Every trust the fuzzed server has, with the reply URLs a token may go to. */
export const TRUSTS: Readonly<Record<string, readonly string[]>> = { [ENTRA]: [ENTRA_REPLY], [APP]: APP_REPLIES };

/** The names alice may sign in with; the oracle compares trimmed and lower-cased. */
export function aliceSpellings(t: Target): string[] {
  return [t.alice.upn, t.alice.sam, `${t.netbios}\\${t.alice.sam}`];
}

export function userNames(t: Target): string[] {
  const { upn, sam, dn, displayName } = t.alice;
  const [local, suffix] = upn.split('@') as [string, string];
  return [
    // alice, however she types it
    upn, upn, upn, sam, `${t.netbios}\\${sam}`, `${t.netbios.toLowerCase()}\\${sam}`, upn.toUpperCase(), sam.toUpperCase(),
    ` ${upn} `, `\t${upn}\r\n`, `${upn}\u00a0`, `${upn}${' '.repeat(300)}`,
    // near misses and other places
    `${local}@fabrikam.example.com`, `${upn}.`, `${upn.slice(0, -1)}`, `${upn}x`, `${local}@${suffix.split('.')[0]}`, `${suffix}\\${sam}`,
    `OTHER\\${sam}`, `${t.netbios}\\\\${sam}`, `${t.netbios}/${sam}`, `\\${sam}`, `${t.netbios}\\`, `${sam}\\`, `${sam}@`, `@${suffix}`,
    'nobody@corp.example.com', `bob@${suffix}`, displayName ?? 'Alice Anders', dn, `${upn};${sam}`, `${upn},${sam}`,
    // LDAP filter and DN syntax
    '*', `${sam}*`, `${sam.slice(0, 2)}*`, `*)(sAMAccountName=${sam}`, `${sam})(|(objectClass=*)`, `${sam}\\2a`, `${sam}\\00`, `${upn}\\`,
    // control characters and look-alikes
    `${sam}\0`, `${upn}\0bob`, `\u0430${sam.slice(1)}`, sam.toUpperCase().replace('I', '\u0130'), sam.replace('i', '\u0131'), sam.replace(/[a-z]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 0xfee0)),
    `${sam}\u200b`, `${sam.slice(0, 2)}\u00ad${sam.slice(2)}`, `${sam}\u0301`, `${sam.replace('e', 'e\u0301')}`,
    '', ' ', 'x'.repeat(257), `${upn}\n${sam}`,
  ];
}

export function passwords(t: Target): string[] {
  const p = t.alice.password;
  return [
    p, p, p, p, p.toLowerCase(), p.toUpperCase(), p.slice(0, -1), `${p}${p.slice(-1)}`, ` ${p}`, `${p} `, `${p}\n`, `${p}\0`, `${p}\0junk`,
    '', ' ', p + p, `${p}${'x'.repeat(600)}`, `${p.slice(0, 4)}\u200b${p.slice(4)}`, p.replace('a', '\u00e4'), '*', `${p}\r\n`, `\u00a0${p}`,
  ];
}

export function appliesTos(): string[] {
  return [
    ENTRA, ENTRA, APP, ENTRA.toUpperCase(), `${ENTRA}/`, ` ${ENTRA} `, `${ENTRA}:x`, 'urn:federation:microsoftonline', `${APP}//`, APP.toUpperCase(),
    'https://login.microsoftonline.com/', 'urn:test:unknown', '', `${ENTRA}\0`, `${ENTRA}\u200b`, ENTRA_REPLY, 'x'.repeat(5000),
  ];
}

export function replies(): string[] {
  return [
    ENTRA_REPLY, APP_REPLIES[0], APP_REPLIES[1], 'https://LOGIN.MICROSOFTONLINE.COM/login.srf', 'https://login.microsoftonline.com:443/login.srf',
    'https://evil.example/login.srf', 'https://login.microsoftonline.com.evil.example/login.srf', 'https://login.microsoftonline.com@evil.example/login.srf',
    'https://evil.example\\@login.microsoftonline.com/login.srf', 'https://login.microsoftonline.com%2F@evil.example/', `${ENTRA_REPLY}?x=1`,
    `${ENTRA_REPLY}#x`, `${ENTRA_REPLY}/`, `${ENTRA_REPLY}%00`, 'http://login.microsoftonline.com/login.srf', '//evil.example/', '/adfs/ls/',
    'javascript:alert(1)', 'https://login.microsoftonline.com/LOGIN.SRF', `${APP_REPLIES[0]}/../wsfed`, `${APP_REPLIES[0]}%2F..%2Fx`,
    'https://app.example.test/wsfed/', 'https://app.example.test./wsfed', 'https://xn--80ak6aa92e.com/', '', ' ',
  ];
}
