import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { Agent, fetch } from 'undici';
import { stringify } from 'yaml';
import { makeLocalhostTls } from '../support/pki.js';
import { provisionTestBed, stopTestBed } from '../ad/testbed.js';
import { testBedDirectory } from '../support/gatehouse.js';

/*
 * The embedded demo: a fresh Samba DC with the fixture users (alice@corp.example.com / Passw0rd!
 * and one user per AD outcome), a generated config, and the built server in the foreground.
 */
const root = resolve(import.meta.dirname, '../..');
const dir = join(root, 'var/demo');
const port = Number(process.env.GATEHOUSE_DEMO_PORT ?? 8443);
const configPath = join(dir, 'gatehouse.yaml');
const adminPort = Number(process.env.GATEHOUSE_DEMO_ADMIN_PORT ?? 9443);
const adminToken = randomBytes(24).toString('base64url');

await stopTestBed(join(dir, 'ad')).catch(() => undefined);
await rm(dir, { recursive: true, force: true });
await mkdir(dir, { recursive: true });
process.stderr.write('provisioning a Samba AD DC for corp.example.com …\n');
const bed = await provisionTestBed({ dir: join(dir, 'ad'), realm: 'corp.example.com', netbios: 'CORP' });
const tls = await makeLocalhostTls();
await writeFile(join(dir, 'server.crt'), tls.certPem);
await writeFile(join(dir, 'server.key'), tls.keyPem, { mode: 0o600 });
await writeFile(
  configPath,
  stringify({
    server: { publicUrl: `https://localhost:${port}`, listen: { host: '127.0.0.1', port }, tls: { certFile: 'server.crt', keyFile: 'server.key' } },
    directory: testBedDirectory(bed, bed.caCertPath),
    federation: { domains: [{ name: 'corp.example.com' }, { name: 'fabrikam.example.com' }] },
    keys: { keyEncryptionKey: randomBytes(32).toString('base64') },
    branding: { organisation: 'Corp (Gatehouse demo)' },
    admin: { enabled: true, port: adminPort, token: adminToken },
  }),
  { mode: 0o600 },
);

const server = spawn(process.execPath, [join(root, 'dist/cli/main.js'), 'serve', '-c', configPath], { stdio: ['ignore', 'inherit', 'inherit'] });
const stop = async () => {
  server.kill('SIGTERM');
  await stopTestBed(join(dir, 'ad'));
  process.exit(0);
};
process.once('SIGINT', () => void stop());
process.once('SIGTERM', () => void stop());
server.once('exit', async (code) => {
  await stopTestBed(join(dir, 'ad'));
  process.exit(code ?? 1);
});

const url = `https://localhost:${port}`;
const trustDemoCert = new Agent({ connect: { ca: tls.certPem } });
for (let i = 0; i < 100; i++) {
  const ok = await fetch(`${url}/adfs/probe`, { dispatcher: trustDemoCert }).then((r) => r.ok, () => false);
  if (ok) break;
  await new Promise((r) => setTimeout(r, 200));
}
process.stderr.write(`
Gatehouse demo is ready (self-signed TLS certificate):
  ${url}/adfs/ls/?wa=wsignin1.0&wtrealm=urn:federation:MicrosoftOnline
  user alice@corp.example.com   password Passw0rd!
  federation metadata: ${url}/FederationMetadata/2007-06/FederationMetadata.xml
  health page: https://localhost:${adminPort}/ (user name anything, password ${adminToken})
  metrics: curl -k -H 'Authorization: Bearer ${adminToken}' https://localhost:${adminPort}/metrics
The CLI on this demo (its config is ${configPath}), from ${root}:
  node dist/cli/main.js doctor -c ${relative(root, configPath)}
  node dist/cli/main.js keys list -c ${relative(root, configPath)}
  or: export GATEHOUSE_CONFIG=${configPath}
  (doctor fails the TLS, probe and metadata checks on this demo: its TLS certificate is self-signed)
Ctrl-C stops Gatehouse and the domain controller.
`);
