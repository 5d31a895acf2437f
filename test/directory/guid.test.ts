import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { guidFromBytes, guidToBytes, immutableIdFromBytes, parseObjectGuid } from '../../directory/guid.js';
import { parseUsername } from '../../directory/credentials.js';

describe('objectGUID and ImmutableID', () => {
  it('gives the ENTRA.md §7.1 test vector: first three fields little-endian', () => {
    const bytes = guidToBytes('11223344-5566-7788-99aa-bbccddeeff00');
    assert.ok(bytes);
    assert.equal(immutableIdFromBytes(bytes), 'RDMiEWZViHeZqrvM3e7/AA==');
  });

  it('reads stored bytes back to the canonical lower-case string', () => {
    const bytes = Buffer.from('RDMiEWZViHeZqrvM3e7/AA==', 'base64');
    assert.equal(guidFromBytes(bytes), '11223344-5566-7788-99aa-bbccddeeff00');
  });

  it('accepts braces and upper case, and refuses what is not a GUID', () => {
    assert.equal(parseObjectGuid('{11223344-5566-7788-99AA-BBCCDDEEFF00}'), '11223344-5566-7788-99aa-bbccddeeff00');
    assert.equal(parseObjectGuid('*'), null);
    assert.equal(parseObjectGuid('11223344-5566-7788-99aa-bbccddeeff0'), null);
  });
});

describe('username forms', () => {
  it('splits user@suffix, DOMAIN\\sam and sam', () => {
    assert.deepEqual(parseUsername('alice@corp.example.com'), { kind: 'upn', upn: 'alice@corp.example.com' });
    assert.deepEqual(parseUsername('CORP\\alice'), { kind: 'sam', sam: 'alice', domain: 'CORP' });
    assert.deepEqual(parseUsername('alice'), { kind: 'sam', sam: 'alice' });
  });

  it('refuses empty names, NUL and other control characters', () => {
    assert.equal(parseUsername(''), null);
    assert.equal(parseUsername('alice\u0000'), null);
    assert.equal(parseUsername('CORP\\'), null);
    assert.equal(parseUsername('a'.repeat(2000)), null);
  });
});
