import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Agent, fetch } from 'undici';
import { gatehouse } from '../support/cli.js';
import { startTestGatehouse, type RunningTestGatehouse } from '../support/gatehouse.js';

type Jwks = { keys: { kid: string; x5c: string[]; key_ops?: string[] }[] };

describe('OpenID Connect signing keys follow the token-signing certificates (keys/ rollover)', () => {
  let gh: RunningTestGatehouse;
  let dispatcher: Agent;
  before(async () => {
    gh = await startTestGatehouse({
      directory: { users: [{ upn: 'alice@corp.example.com', password: 'Passw0rd!', objectGuid: '6c1f2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b' }] },
      extra: { keys: { keyEncryptionKey: Buffer.alloc(32, 3).toString('base64'), refreshSeconds: 1 } },
    });
    dispatcher = new Agent({ connect: { ca: gh.tlsCertPem } });
  });
  after(() => gh?.stop());

  const jwks = async (): Promise<Jwks> => (await (await fetch(`${gh.url}/adfs/discovery/keys`, { dispatcher })).json()) as Jwks;
  const kidOf = (thumbprintHex: string) => Buffer.from(thumbprintHex, 'hex').toString('base64url');
  /** Until the published set has `n` keys (each node re-reads it every keys.refreshSeconds). */
  async function untilKeys(n: number, first?: string): Promise<Jwks> {
    for (let i = 0; i < 100; i++) {
      const set = await jwks();
      if (set.keys.length === n && (!first || set.keys[0]!.kid === first)) return set;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`JWKS never had ${n} keys${first ? ` with ${first} first` : ''}`);
  }

  it('publishes a next certificate for verification only, and signs with it once promoted, without a restart', async () => {
    const before = await untilKeys(1);
    const active = before.keys[0]!;
    assert.equal(active.kid, createHash('sha1').update(Buffer.from(active.x5c[0]!, 'base64')).digest('base64url'));
    const configFile = join(gh.dir, 'gatehouse.yaml');
    const generated = await gatehouse(['keys', 'generate', '--state', 'next', '-c', configFile]);
    assert.equal(generated.code, 0, generated.stderr);
    const nextThumbprint = (await gh.runtime.store.keys.list('signing')).find((k) => k.status === 'next')!.id;

    const withNext = await untilKeys(2);
    assert.equal(withNext.keys[0]!.kid, active.kid, 'the active key still signs');
    assert.equal(withNext.keys[1]!.kid, kidOf(nextThumbprint));
    assert.deepEqual(withNext.keys[1]!.key_ops, ['verify'], 'the next key is published, never chosen to sign');

    const promoted = await gatehouse(['keys', 'promote', nextThumbprint, '--force', '-c', configFile]);
    assert.equal(promoted.code, 0, promoted.stderr);
    const after = await untilKeys(2, kidOf(nextThumbprint));
    assert.equal(after.keys[0]!.key_ops, undefined, 'the promoted key signs');
    assert.equal(after.keys[1]!.kid, active.kid, 'the previous key stays published so tokens it signed still verify');
    assert.deepEqual(after.keys[1]!.key_ops, ['verify']);
  });
});
