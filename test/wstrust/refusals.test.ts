import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { Store } from '../../store/types.js';
import { MAX_RST_BYTES } from '../../sts/protocols/wstrust/envelope.js';
import { USERNAME_13, USERNAME_2005 } from '../../sts/protocols/wstrust/versions.js';
import { startTestGatehouse, type RunningTestGatehouse } from '../support/gatehouse.js';
import { expectRejected, post } from './client.js';
import { rst } from './rst.js';

const alice = { upn: 'alice@corp.example.com', password: 'Passw0rd!', objectGuid: '11223344-5566-7788-99aa-bbccddeeff00' };

describe('WS-Trust refuses what a hostile client varies, with a fault and a request.rejected event', () => {
  let gh: RunningTestGatehouse;
  let store: Store;
  const to = (path: string) => `${gh.url}${path}`;
  before(async () => {
    gh = await startTestGatehouse({ directory: { users: [alice] } });
    // The server's own store: its audit reads flush the queued writes first (test/support/gatehouse.ts).
    store = gh.runtime.store;
  });
  after(async () => {
    await store?.close();
    await gh?.stop();
  });

  it('refuses an unknown header block marked mustUnderstand with whitespace around the xs:boolean', async () => {
    // A literal tab or newline is already a space after attribute-value normalisation (XML 1.0
    // §3.3.3); written as character references they reach the SOAP layer as they are.
    for (const flag of [' 1 ', '\ttrue\n', '&#9;true&#10;', ' 1&#13;']) {
      const since = new Date();
      const body = rst('msal-python-13', { username: alice.upn, password: alice.password, to: to(USERNAME_13.path) }).replace(
        '<s:Header>',
        `<s:Header><x:Routing xmlns:x='urn:example' s:mustUnderstand='${flag}'>here</x:Routing>`,
      );
      await expectRejected(store, await post(gh, USERNAME_13.path, body), since, 'must-understand');
    }
  });

  it('accepts a UsernameToken nonce once, whatever the user name\'s spelling or the token\'s Created', async () => {
    const since = new Date();
    const now = new Date();
    const nonce = `<wsse:Nonce>${randomBytes(16).toString('base64')}</wsse:Nonce>`;
    const message = (username: string, extraToken: string) => rst('msal-net-2005', { username, password: alice.password, to: to(USERNAME_2005.path), created: now, extraToken });
    const first = await post(gh, USERNAME_2005.path, message(alice.upn, `${nonce}<wsu:Created>${now.toISOString()}</wsu:Created>`));
    assert.equal(first.status, 200, first.text);
    const upperCased = message(alice.upn.toUpperCase(), `${nonce}<wsu:Created>${now.toISOString()}</wsu:Created>`);
    await expectRejected(store, await post(gh, USERNAME_2005.path, upperCased), since, 'replayed-nonce');
    await expectRejected(store, await post(gh, USERNAME_2005.path, message(alice.upn, nonce)), since, 'replayed-nonce');
  });

  it('refuses a 64 KB body of nested elements before building its tree', async () => {
    const since = new Date();
    const plain = rst('msal-python-13', { username: alice.upn, password: alice.password, to: to(USERNAME_13.path) });
    const depth = Math.floor((MAX_RST_BYTES - Buffer.byteLength(plain)) / '<x></x>'.length);
    assert.ok(depth > 9_000, `${depth} levels`);
    const deep = rst('msal-python-13', { username: alice.upn, password: alice.password, to: to(USERNAME_13.path), extraToken: '<x>'.repeat(depth) + '</x>'.repeat(depth) });
    await expectRejected(store, await post(gh, USERNAME_13.path, deep), since, 'xml-too-deep');
  });
});
