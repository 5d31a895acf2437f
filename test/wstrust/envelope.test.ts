import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { memoryStore } from '../../store/memory.js';
import { MAX_RST_BYTES, parseRst } from '../../sts/protocols/wstrust/envelope.js';
import { checkNonce, checkTimestamp } from '../../sts/protocols/wstrust/freshness.js';
import { USERNAME_13, USERNAME_2005 } from '../../sts/protocols/wstrust/versions.js';
import { BadRequest } from '../../sts/protocols/errors.js';
import { rst } from './rst.js';

const TO_13 = 'https://sts.corp.example.com/adfs/services/trust/13/usernamemixed';
const TO_2005 = 'https://sts.corp.example.com/adfs/services/trust/2005/usernamemixed';
const refusedFor = (reason: string) => (err: unknown) => err instanceof BadRequest && err.reason === reason;
const bytes = (s: string) => Buffer.from(s, 'utf8');

describe('WS-Trust RST parsing', () => {
  it('reads an MSAL.NET 2005 RST: credentials, AppliesTo, MessageID, Timestamp', () => {
    const created = new Date('2026-01-02T03:04:05Z');
    const msg = parseRst(bytes(rst('msal-net-2005', { username: 'alice@corp.example.com', password: `p<&>"'x`, to: TO_2005, created, messageId: '7b0c2f4e-0000-4000-8000-000000000001' })), USERNAME_2005);
    assert.equal(msg.username, 'alice@corp.example.com');
    assert.equal(msg.password, `p<&>"'x`);
    assert.equal(msg.appliesTo, 'urn:federation:MicrosoftOnline');
    assert.equal(msg.messageId, 'urn:uuid:7b0c2f4e-0000-4000-8000-000000000001');
    assert.equal(msg.to, TO_2005);
    assert.equal(msg.created.toISOString(), '2026-01-02T03:04:05.068Z');
    assert.equal(msg.expires?.toISOString(), '2026-01-02T03:14:05.068Z');
  });

  it('reads an indented MSAL Python 1.3 RST, keeping the password exactly as sent', () => {
    const msg = parseRst(bytes(rst('msal-python-13', { username: 'alice@corp.example.com', password: ' spaced pass ', to: TO_13 })), USERNAME_13);
    assert.equal(msg.password, ' spaced pass ');
    assert.equal(msg.appliesTo, 'urn:federation:MicrosoftOnline');
  });

  it('refuses the other version\'s action at an endpoint', () => {
    assert.throws(() => parseRst(bytes(rst('msal-net-2005', { username: 'a', password: 'b', to: TO_2005 })), USERNAME_13), refusedFor('wrong-action'));
    const wrongBody = rst('msal-python-13', { username: 'a', password: 'b', to: TO_13, action: USERNAME_2005.issueAction });
    assert.throws(() => parseRst(bytes(wrongBody), USERNAME_2005), refusedFor('not-an-rst'));
  });

  it('refuses a DOCTYPE with an entity before parsing', () => {
    const evil = `<!DOCTYPE s [<!ENTITY x "alice">]>${rst('msal-python-13', { username: '&x;', password: 'b', to: TO_13 }).replace('&amp;x;', '&x;')}`;
    assert.throws(() => parseRst(bytes(evil), USERNAME_13), refusedFor('xml-doctype'));
  });

  it('refuses a message over the size cap', () => {
    const big = rst('msal-python-13', { username: 'a', password: 'x'.repeat(MAX_RST_BYTES), to: TO_13 });
    assert.throws(() => parseRst(bytes(big), USERNAME_13), refusedFor('xml-too-large'));
  });

  it('refuses a MessageID with a control character or of absurd length, before anything is echoed', () => {
    const control = rst('msal-python-13', { username: 'a', password: 'b', to: TO_13, messageId: 'x&#1;' });
    assert.throws(() => parseRst(bytes(control), USERNAME_13), refusedFor('xml-malformed'));
    const long = rst('msal-python-13', { username: 'a', password: 'b', to: TO_13, messageId: 'x'.repeat(300) });
    assert.throws(() => parseRst(bytes(long), USERNAME_13), refusedFor('bad-message-id'));
  });

  it('refuses a PasswordDigest token', () => {
    const digest = rst('msal-python-13', { username: 'a', password: 'b', to: TO_13 }).replace(
      '<wsse:Password>',
      `<wsse:Password Type='http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordDigest'>`,
    );
    assert.throws(() => parseRst(bytes(digest), USERNAME_13), refusedFor('password-type'));
  });

  it('refuses a KeyType that is not the version\'s (ENTRA.md §6.2)', () => {
    const symmetric = rst('msal-python-13', { username: 'a', password: 'b', to: TO_13 }).replace('200512/Bearer', '200512/SymmetricKey');
    assert.throws(() => parseRst(bytes(symmetric), USERNAME_13), refusedFor('key-type'));
  });

  const withRouting = (flag: string) => rst('msal-python-13', { username: 'a', password: 'b', to: TO_13 }).replace(
    '<s:Header>',
    `<s:Header><x:Routing xmlns:x='urn:example' s:mustUnderstand='${flag}'>here</x:Routing>`,
  );

  it('refuses a header block it does not understand that is marked mustUnderstand, however the xs:boolean is spelt', () => {
    for (const flag of ['1', 'true', ' 1 ', '&#9;true&#10;', '&#13;1']) {
      assert.throws(() => parseRst(bytes(withRouting(flag)), USERNAME_13), refusedFor('must-understand'), flag);
    }
  });

  it('ignores a header block it does not understand whose mustUnderstand is false, and refuses one that is no xs:boolean', () => {
    for (const flag of ['0', ' false ']) assert.equal(parseRst(bytes(withRouting(flag)), USERNAME_13).username, 'a');
    for (const flag of ['yes', '', 'TRUE', '&#xA0;1']) {
      assert.throws(() => parseRst(bytes(withRouting(flag)), USERNAME_13), refusedFor('xml-malformed'), flag);
    }
  });

  it('refuses an RST nested deeper or holding more elements than any client sends', () => {
    const withToken = (extraToken: string) => bytes(rst('msal-python-13', { username: 'a', password: 'b', to: TO_13, extraToken }));
    assert.equal(parseRst(withToken('<x>'.repeat(14) + '</x>'.repeat(14)), USERNAME_13).username, 'a');
    assert.throws(() => parseRst(withToken('<x>'.repeat(17) + '</x>'.repeat(17)), USERNAME_13), refusedFor('xml-too-deep'));
    assert.equal(parseRst(withToken('<x/>'.repeat(250)), USERNAME_13).username, 'a');
    assert.throws(() => parseRst(withToken('<x/>'.repeat(300)), USERNAME_13), refusedFor('xml-too-many-elements'));
  });

  it('refuses two UsernameTokens (no guessing which one counts)', () => {
    const twice = rst('msal-python-13', { username: 'a', password: 'b', to: TO_13 }).replace(
      '</wsse:Security>',
      '<wsse:UsernameToken><wsse:Username>admin</wsse:Username><wsse:Password>x</wsse:Password></wsse:UsernameToken></wsse:Security>',
    );
    assert.throws(() => parseRst(bytes(twice), USERNAME_13), refusedFor('xml-duplicate-element'));
  });
});

describe('WS-Trust freshness', () => {
  const now = new Date('2026-06-01T12:00:00Z');
  const at = (minutes: number) => new Date(now.getTime() + minutes * 60_000);

  it('accepts a Timestamp within the window, with a few minutes of skew either way', () => {
    for (const created of [at(0), at(-3), at(4), at(-14)]) {
      assert.doesNotThrow(() => checkTimestamp({ created, expires: at(10) }, now), created.toISOString());
    }
  });

  it('refuses a Timestamp created in the future, expired, or too old', () => {
    assert.throws(() => checkTimestamp({ created: at(6), expires: at(16) }, now), refusedFor('timestamp-in-future'));
    assert.throws(() => checkTimestamp({ created: at(-20), expires: at(-10) }, now), refusedFor('timestamp-too-old'));
    assert.throws(() => checkTimestamp({ created: at(-12), expires: at(-6) }, now), refusedFor('timestamp-expired'));
    assert.throws(() => checkTimestamp({ created: at(-30), expires: at(600) }, now), refusedFor('timestamp-too-old'));
    assert.throws(() => checkTimestamp({ created: at(0), expires: at(-1) }, now), refusedFor('timestamp-format'));
  });

  it('accepts a UsernameToken nonce once and refuses its replay', async () => {
    const store = memoryStore();
    const token = { username: 'alice@corp.example.com', nonce: 'bm9uY2Ux', tokenCreated: now };
    await checkNonce(token, now, store.counters);
    await assert.rejects(checkNonce(token, at(1), store.counters), refusedFor('replayed-nonce'));
    await checkNonce({ ...token, nonce: 'bm9uY2Uy' }, at(1), store.counters);
  });

  it('refuses a UsernameToken Created outside the window even with a new nonce', async () => {
    const store = memoryStore();
    await assert.rejects(checkNonce({ nonce: 'bg==', tokenCreated: at(-30) }, now, store.counters), refusedFor('timestamp-too-old'));
  });

  it('refuses a replayed nonce whose token has no Created', async () => {
    const store = memoryStore();
    await checkNonce({ nonce: 'bm9uY2Ux', tokenCreated: now }, now, store.counters);
    await assert.rejects(checkNonce({ nonce: 'bm9uY2Ux', tokenCreated: undefined }, at(1), store.counters), refusedFor('replayed-nonce'));
  });

  it('refuses a replayed nonce spelt with white space or other unused padding bits (xs:base64Binary)', async () => {
    const store = memoryStore();
    await checkNonce({ nonce: 'bm9uY2Ux', tokenCreated: undefined }, now, store.counters);
    await assert.rejects(checkNonce({ nonce: 'bm9u\nY2Ux', tokenCreated: undefined }, now, store.counters), refusedFor('replayed-nonce'));
    await checkNonce({ nonce: 'QQ==', tokenCreated: undefined }, now, store.counters);
    await assert.rejects(checkNonce({ nonce: 'QR==', tokenCreated: undefined }, now, store.counters), refusedFor('replayed-nonce'));
  });

  it('refuses a nonce that is not base64', async () => {
    const store = memoryStore();
    for (const nonce of ['', 'not base64!', 'bm9uY2U']) {
      await assert.rejects(checkNonce({ nonce, tokenCreated: undefined }, now, store.counters), refusedFor('nonce'), nonce);
    }
  });
});
