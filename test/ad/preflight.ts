import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Where this Samba build keeps its schema files and loadable modules (`samba -b`). */
export interface SambaPaths {
  setupDir: string;
  modulesDir: string;
}

/**
 * One file per Debian package a DC on this test bed loads. `samba` only *recommends* the last
 * three, so a bare image (no Recommends) has samba without them, and provisioning then dies deep
 * in Python ("File [...ad-schema/...ldf] not found", "Module [samba_secrets] not found",
 * "error probing vfs module 'acl_xattr'").
 */
const parts: { pkg: string; path: (p: SambaPaths) => string; what: string }[] = [
  { pkg: 'samba-ad-provision', path: (p) => join(p.setupDir, 'ad-schema', 'AD_DS_Attributes__Windows_Server_2012_R2.ldf'), what: 'AD schema for provisioning' },
  { pkg: 'samba-dsdb-modules', path: (p) => join(p.modulesDir, 'ldb', 'samba_secrets.so'), what: 'ldb module samba_secrets' },
  { pkg: 'samba-vfs-modules', path: (p) => join(p.modulesDir, 'vfs', 'acl_xattr.so'), what: 'vfs module acl_xattr' },
];

/** The commands the test bed runs, and the package that ships each. */
const commands: { pkg: string; command: string }[] = [
  { pkg: 'samba', command: 'samba' },
  { pkg: 'samba-common-bin', command: 'samba-tool' },
  { pkg: 'ldb-tools', command: 'ldbmodify' },
  { pkg: 'iproute2', command: 'ip' },
];

export interface MissingPart {
  pkg: string;
  what: string;
}

function onPath(command: string, path = process.env.PATH ?? ''): boolean {
  return path.split(':').some((dir) => dir !== '' && existsSync(join(dir, command)));
}

/** Asks the installed samba where its files are: the paths differ per architecture. */
export async function sambaPaths(): Promise<SambaPaths> {
  const { stdout } = await run('samba', ['-b'], { timeout: 10_000 });
  const value = (name: string): string => {
    const m = new RegExp(`^\\s*${name}:\\s*(\\S+)`, 'm').exec(stdout);
    if (!m?.[1]) throw new Error(`samba -b does not name ${name}`);
    return m[1];
  };
  return { setupDir: value('SETUPDIR'), modulesDir: value('MODULESDIR') };
}

/** What a DC on this machine would lack, each with the Debian package that brings it. */
export async function missingSambaParts(opts: { paths?: SambaPaths; pathEnv?: string } = {}): Promise<MissingPart[]> {
  const missing: MissingPart[] = commands
    .filter((c) => !onPath(c.command, opts.pathEnv))
    .map((c) => ({ pkg: c.pkg, what: `command ${c.command}` }));
  if (missing.some((m) => m.pkg === 'samba')) return missing;
  const paths = opts.paths ?? (await sambaPaths());
  for (const part of parts) if (!existsSync(part.path(paths))) missing.push({ pkg: part.pkg, what: part.what });
  return missing;
}

/** Throws one line naming every missing package, before a provision would fail with a stack trace. */
export async function assertSambaInstalled(opts: Parameters<typeof missingSambaParts>[0] = {}): Promise<void> {
  const missing = await missingSambaParts(opts);
  if (missing.length === 0) return;
  const pkgs = [...new Set(missing.map((m) => m.pkg))];
  throw new Error(`Samba test bed: missing Debian package${pkgs.length > 1 ? 's' : ''} ${pkgs.join(' ')} (${missing.map((m) => m.what).join(', ')}); install with: apt-get install --no-install-recommends ${pkgs.join(' ')} (or run bash test/setup/debian-packages.sh tests)`);
}
