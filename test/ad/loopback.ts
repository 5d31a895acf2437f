import { execFile } from 'node:child_process';
import { mkdir, open, readFile, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const lockDir = '/tmp/gatehouse-loopback';
// 127.0.0.1 stays free for everything else; .2–.9 are left to hand-run experiments.
const first = 10;
const last = 250;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function portAnswers(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port, timeout: 300 });
    socket.once('connect', () => { socket.destroy(); resolve(true); });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => { socket.destroy(); resolve(false); });
  });
}

function lockPath(ip: string): string {
  return join(lockDir, `${ip}.lock`);
}

/**
 * Claims a loopback address no other test bed holds: Samba's ports are fixed (389/636), so each
 * DC on the machine needs its own address. The lock file holds the owner's pid; a dead owner's
 * lock is taken over.
 */
export async function claimLoopbackAddress(): Promise<string> {
  await mkdir(lockDir, { recursive: true });
  for (let n = first; n <= last; n++) {
    const ip = `127.0.0.${n}`;
    const path = lockPath(ip);
    const owner = Number.parseInt(await readFile(path, 'utf8').catch(() => ''), 10);
    if (Number.isInteger(owner) && alive(owner)) continue;
    if (!Number.isNaN(owner)) await rm(path, { force: true });
    const handle = await open(path, 'wx').catch(() => null);
    if (!handle) continue;
    await handle.writeFile(String(process.pid));
    await handle.close();
    if (await portAnswers(ip, 636)) {
      continue; // someone outside our locking uses it; keep the lock so nobody else tries either
    }
    await ensureOnLoopback(ip);
    return ip;
  }
  throw new Error(`no free loopback address in 127.0.0.${first}-${last}`);
}

/** Hands the lock to the long-lived samba process so the address stays taken after we exit. */
export async function transferLoopbackLock(ip: string, pid: number): Promise<void> {
  await writeFile(lockPath(ip), String(pid));
}

export async function releaseLoopbackAddress(ip: string): Promise<void> {
  await rm(lockPath(ip), { force: true });
}

/**
 * Samba binds only to addresses it finds on an interface ("no network interfaces found"
 * otherwise), and Linux puts only 127.0.0.1 on lo, so the address is added to lo (needs root).
 */
async function ensureOnLoopback(ip: string): Promise<void> {
  const present = Object.values(networkInterfaces()).some((list) => list?.some((a) => a.address === ip));
  if (present) return;
  await run('ip', ['addr', 'add', `${ip}/32`, 'dev', 'lo']).catch((err: { stderr?: string }) => {
    if (!String(err.stderr).includes('File exists')) throw err;
  });
}
