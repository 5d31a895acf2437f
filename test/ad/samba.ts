import { execFile, spawn } from 'node:child_process';
import { openSync, closeSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client } from 'ldapts';
import type { TestBedTls } from './ca.js';

const run = promisify(execFile);

export interface SambaLayout {
  /** samba-tool --targetdir: private/, state/, etc/ live here, never in /etc or /var/lib/samba. */
  target: string;
  confPath: string;
  logPath: string;
  pidPath: string;
}

export function sambaLayout(dir: string): SambaLayout {
  const target = join(dir, 'samba');
  return {
    target,
    confPath: join(dir, 'smb.conf'),
    logPath: join(dir, 'samba.log'),
    pidPath: join(dir, 'samba.pid'),
  };
}

export interface ProvisionSpec {
  realm: string;
  netbios: string;
  hostName: string;
  ip: string;
  adminPassword: string;
}

/** Runs `samba-tool domain provision` into the test bed's own directory (≈ 5 s). */
export async function provisionDomain(layout: SambaLayout, spec: ProvisionSpec): Promise<void> {
  await run('samba-tool', [
    'domain', 'provision',
    `--targetdir=${layout.target}`,
    `--realm=${spec.realm.toUpperCase()}`,
    `--domain=${spec.netbios}`,
    `--host-name=${spec.hostName}`,
    '--server-role=dc',
    '--dns-backend=NONE',
    `--adminpass=${spec.adminPassword}`,
    `--option=interfaces=${spec.ip}`,
    '--option=bind interfaces only=yes',
  ], { timeout: 120_000, maxBuffer: 16 * 1024 * 1024 });
}

/**
 * Admin credentials for samba-tool, by environment rather than argv (no password in `ps`).
 * NTLM, not Kerberos: with --dns-backend=NONE nothing resolves the realm's KDC.
 */
function adminAuth(spec: ProvisionSpec): { args: string[]; env: NodeJS.ProcessEnv } {
  return {
    args: ['-U', `${spec.netbios}\\Administrator`, '--use-kerberos=off'],
    env: { ...process.env, PASSWD: spec.adminPassword },
  };
}

/**
 * Joins a second DC to the domain served at `sourceIp` (≈ 7 s): DRS replication of schema,
 * configuration and domain partitions into the new DC's own --targetdir. The source must run
 * `cldap` (the join finds the DC's site by a CLDAP netlogon ping) and `rpc` (drsuapi over
 * ncacn_ip_tcp). The workgroup is given because samba-tool otherwise sends WORKGROUP from
 * /etc/samba/smb.conf and the DC answers "no logon servers" (data 51f).
 */
export async function joinDomain(layout: SambaLayout, spec: ProvisionSpec, sourceIp: string): Promise<void> {
  const auth = adminAuth(spec);
  await run('samba-tool', [
    'domain', 'join', spec.realm, 'DC',
    `--server=${sourceIp}`,
    ...auth.args,
    `--targetdir=${layout.target}`,
    '--dns-backend=NONE',
    `--option=netbios name=${spec.hostName.toUpperCase()}`,
    `--option=workgroup=${spec.netbios}`,
    `--option=realm=${spec.realm.toUpperCase()}`,
    `--option=interfaces=${spec.ip}`,
    '--option=bind interfaces only=yes',
  ], { timeout: 120_000, maxBuffer: 16 * 1024 * 1024, env: auth.env });
}

/**
 * Pulls the changes of partition `nc` from the DC at `sourceIp` into this DC's database by DRS
 * (GetNCChanges, secrets included). `--local` makes samba-tool itself the replication client: the
 * DC's own drepl service would reach its partner only through DNS (<ntds-guid>._msdcs.<forest>),
 * which a DNS-less test bed does not have.
 */
export async function replicateFrom(layout: SambaLayout, spec: ProvisionSpec, sourceIp: string, nc: string): Promise<void> {
  const auth = adminAuth(spec);
  await run('samba-tool', [
    'drs', 'replicate', '--local', '-s', layout.confPath,
    spec.hostName.toUpperCase(), sourceIp, nc,
    ...auth.args,
  ], { timeout: 60_000, env: auth.env });
}

/**
 * Our own smb.conf: by default only the LDAP service (every extra service listens on another
 * fixed port), every path inside the test bed, TLS from the test CA. A DC that a second one
 * joins also runs `cldap` (the join's site lookup) and `rpc` (DRS).
 */
export async function writeSmbConf(layout: SambaLayout, spec: ProvisionSpec, tls: TestBedTls, services: string[] = ['ldap']): Promise<void> {
  const t = layout.target;
  const lines = [
    '[global]',
    `netbios name = ${spec.hostName.toUpperCase()}`,
    `realm = ${spec.realm.toUpperCase()}`,
    `workgroup = ${spec.netbios}`,
    'server role = active directory domain controller',
    `server services = ${services.join(' ')}`,
    'prefork children = 2',
    `interfaces = ${spec.ip}`,
    'bind interfaces only = yes',
    `private dir = ${t}/private`,
    `lock directory = ${t}`,
    `state directory = ${t}/state`,
    `cache directory = ${t}/cache`,
    `pid directory = ${t}`,
    `binddns dir = ${t}/bind-dns`,
    `ntp signd socket directory = ${t}/ntp_signd`,
    `winbindd socket directory = ${t}/winbindd`,
    // Default /run/samba/ncalrpc: two DCs running `rpc` would take each other's sockets.
    `ncalrpc dir = ${t}/ncalrpc`,
    `log file = ${layout.logPath}`,
    'logging = file',
    'log level = 1',
    'tls enabled = yes',
    `tls keyfile = ${tls.keyPath}`,
    `tls certfile = ${tls.certPath}`,
    `tls cafile = ${tls.caCertPath}`,
    '',
  ];
  await writeFile(layout.confPath, lines.join('\n\t'));
}

/**
 * Starts samba in the foreground as a detached child with its own process group, so it outlives
 * a `testbed-cli start` and can be stopped as a group later.
 */
export async function startSamba(layout: SambaLayout): Promise<number> {
  const out = openSync(layout.logPath + '.stdout', 'a');
  const child = spawn('samba', ['--foreground', '--no-process-group', '-s', layout.confPath], {
    detached: true,
    stdio: ['ignore', out, out],
  });
  closeSync(out);
  const pid = child.pid;
  if (pid === undefined) throw new Error('samba did not start');
  child.unref();
  await writeFile(layout.pidPath, String(pid));
  return pid;
}

export async function sambaPid(layout: SambaLayout): Promise<number | null> {
  const pid = Number.parseInt(await readFile(layout.pidPath, 'utf8').catch(() => ''), 10);
  return Number.isInteger(pid) ? pid : null;
}

/** Whether any process of the group led by `pid` (a detached samba) is still alive. */
export function groupAlive(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** SIGTERM to samba's process group, up to 5 s grace, then SIGKILL. */
export async function stopSamba(layout: SambaLayout): Promise<void> {
  const pid = await sambaPid(layout);
  if (pid === null) return;
  const signal = (sig: NodeJS.Signals): void => {
    try { process.kill(-pid, sig); } catch { /* already gone */ }
  };
  signal('SIGTERM');
  for (let i = 0; i < 50 && groupAlive(pid); i++) await sleep(100);
  if (groupAlive(pid)) signal('SIGKILL');
  await rm(layout.pidPath, { force: true });
}

/** Polls an LDAPS bind until the DC answers (samba needs ~1–2 s after exec). */
export async function waitForLdaps(url: string, caCertPem: string, dn: string, password: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    const client = new Client({ url, connectTimeout: 1000, timeout: 2000, tlsOptions: { ca: caCertPem } });
    try {
      await client.bind(dn, password);
      return;
    } catch (err) {
      last = err;
      await sleep(200);
    } finally {
      await client.unbind().catch(() => undefined);
    }
  }
  throw new Error(`LDAPS at ${url} did not answer within ${timeoutMs} ms: ${String(last)}`);
}

/**
 * Writes one attribute straight into the domain partition's tdb, below Samba's module stack.
 * Only for what no LDAP client may set: pwdLastSet accepts just 0 or -1 through Samba
 * ("setup_last_set_field: pwdLastSet must be 0 or -1 only"), yet an expired password needs a
 * pwdLastSet older than maxPwdAge. (A PSO with a tiny maxPwdAge does not help: Samba treats a
 * maxPwdAge under one day as "never expires".) The running DC sees the change on its next read.
 */
export async function writeRawAttribute(layout: SambaLayout, baseDn: string, dn: string, attribute: string, value: string): Promise<void> {
  const partition = join(layout.target, 'private', 'sam.ldb.d', `${baseDn.toUpperCase()}.ldb`);
  const ldif = `dn: ${dn}\nchangetype: modify\nreplace: ${attribute}\n${attribute}: ${value}\n`;
  const ldifPath = join(layout.target, 'raw-modify.ldif');
  await writeFile(ldifPath, ldif);
  try {
    await run('ldbmodify', ['-H', `tdb://${partition}`, ldifPath], { timeout: 30_000 });
  } finally {
    await rm(ldifPath, { force: true });
  }
}
