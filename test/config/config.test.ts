import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ConfigError, issuerFor, loadConfig } from '../../config/load.js';
import { gatehouse } from '../support/cli.js';
import { tempDir } from '../support/tmp.js';

const minimal = (extra = '') => `directory:
  kind: file
  path: users.yaml
federation:
  domains: [{ name: corp.example.com }]
keys:
  keyEncryptionKey: ${Buffer.alloc(32, 7).toString('base64')}
${extra}`;

describe('config', () => {
  it('fills documented defaults and makes paths relative to the config file', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'g.yaml'), minimal());
    const c = await loadConfig(join(dir, 'g.yaml'));
    assert.equal(c.server.listen.port, 8443);
    assert.equal(c.store.sqlitePath, join(dir, 'var/gatehouse.db'));
    assert.equal(c.directory.kind === 'file' && c.directory.path, join(dir, 'users.yaml'));
    assert.equal(c.server.tls.certFile, join(dir, 'tls/server.crt'));
  });

  it('reads secrets from GATEHOUSE_ variables and from files', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'kek'), `${Buffer.alloc(32, 9).toString('base64')}\n`);
    await writeFile(join(dir, 'g.yaml'), minimal().replace(/keyEncryptionKey: .*/, 'keyEncryptionKey: { file: kek }'));
    assert.equal((await loadConfig(join(dir, 'g.yaml'))).keys.keyEncryptionKey, Buffer.alloc(32, 9).toString('base64'));
    await writeFile(join(dir, 'e.yaml'), minimal().replace(/keyEncryptionKey: .*/, 'keyEncryptionKey: { env: GATEHOUSE_KEK }'));
    assert.equal((await loadConfig(join(dir, 'e.yaml'), { GATEHOUSE_KEK: 'abc' })).keys.keyEncryptionKey, 'abc');
    await assert.rejects(loadConfig(join(dir, 'e.yaml'), {}), (e: unknown) => e instanceof ConfigError && e.key === 'keys.keyEncryptionKey' && /GATEHOUSE_KEK is not set/.test(e.message));
  });

  it('rejects unknown keys, bad values and broken YAML naming the file and the key', async () => {
    const dir = await tempDir();
    const f = join(dir, 'g.yaml');
    await writeFile(f, minimal('server:\n  listen: { port: 70000 }\n'));
    await assert.rejects(loadConfig(f), (e: unknown) => e instanceof ConfigError && e.file === f && e.key === 'server.listen.port');
    await writeFile(f, minimal('colour: blue\n'));
    await assert.rejects(loadConfig(f), (e: unknown) => e instanceof ConfigError && /colour/.test(e.message));
    await writeFile(f, 'directory: [unclosed');
    await assert.rejects(loadConfig(f), (e: unknown) => e instanceof ConfigError && /invalid YAML/.test(e.message));
  });

  it('derives the AD FS multi-domain issuer unless one is configured', () => {
    assert.equal(issuerFor({ name: 'Corp.Example.com' }), 'http://corp.example.com/adfs/services/trust/');
    assert.equal(issuerFor({ name: 'x.com', issuerUri: 'http://x.com/adfs/services/trust' }), 'http://x.com/adfs/services/trust');
  });
});

describe('gatehouse init and bad config on the command line', () => {
  it('writes a commented config with fresh secrets that loads as written', async () => {
    const dir = await tempDir();
    const f = join(dir, 'gatehouse.yaml');
    const r = await gatehouse(['init', '-c', f, '--domain', 'corp.example.com', '--users-file', 'users.yaml']);
    assert.equal(r.code, 0, r.stderr);
    const text = await readFile(f, 'utf8');
    assert.match(text, /# 32 random bytes, base64: encrypts private keys at rest/);
    assert.match(text, /# TCP port of the HTTPS listener/);
    const c = await loadConfig(f);
    assert.equal(Buffer.from(c.keys.keyEncryptionKey, 'base64').length, 32);
    const other = join(dir, 'other.yaml');
    await gatehouse(['init', '-c', other, '--domain', 'corp.example.com', '--users-file', 'u.yaml']);
    assert.notEqual((await loadConfig(other)).keys.keyEncryptionKey, c.keys.keyEncryptionKey);
    assert.notEqual((await gatehouse(['init', '-c', f, '--domain', 'x.com', '--users-file', 'u.yaml'])).code, 0, 'refuses to overwrite');
  });

  it('writes an admin section, off and on loopback, with a fresh token that works once enabled', async () => {
    const dir = await tempDir();
    const f = join(dir, 'gatehouse.yaml');
    assert.equal((await gatehouse(['init', '-c', f, '--domain', 'corp.example.com', '--users-file', 'users.yaml'])).code, 0);
    const c = await loadConfig(f);
    assert.equal(c.admin.enabled, false);
    assert.equal(c.admin.host, '127.0.0.1');
    assert.equal(c.admin.https, true);
    assert.match(c.admin.token ?? '', /^[A-Za-z0-9_-]{43}$/);
    const other = join(dir, 'other.yaml');
    await gatehouse(['init', '-c', other, '--domain', 'corp.example.com', '--users-file', 'u.yaml']);
    assert.notEqual((await loadConfig(other)).admin.token, c.admin.token, 'a token of its own for each init');
    // Turning it on is the one edit: the schema refuses an enabled listener without a credential.
    const text = await readFile(f, 'utf8');
    assert.match(text, /# Bearer token every admin request must send/);
    const on = text.replace(/^(admin:\n(?:\s+#.*\n)*\s+enabled: )false$/m, '$1true');
    assert.notEqual(on, text);
    await writeFile(f, on);
    const enabled = await loadConfig(f);
    assert.equal(enabled.admin.enabled, true);
    assert.equal(enabled.admin.token, c.admin.token);
  });

  it('exits 2 naming the file and the key', async () => {
    const dir = await tempDir();
    const f = join(dir, 'bad.yaml');
    await writeFile(f, minimal('store: { kind: oracle }\n'));
    const r = await gatehouse(['doctor', '-c', f]);
    assert.equal(r.code, 2);
    assert.ok(r.stderr.includes(f) && r.stderr.includes('store.kind'), r.stderr);
  });
});
