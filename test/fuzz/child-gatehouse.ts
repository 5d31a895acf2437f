import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import type { ConfigInput } from '../../config/schema.js';
import { freePort } from '../support/gatehouse.js';
import { makeLocalhostTls } from '../support/pki.js';
import { Wire } from './wire.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
export const CLI = join(root, 'dist', 'cli', 'main.js');

/**
 * Gatehouse as users run it: the built CLI (`node dist/cli/main.js serve -c gatehouse.yaml`) in a
 * child process, with a YAML config, a TLS certificate and a SQLite store in a temp dir. A crash
 * shows as the process exiting; its output is kept for the assertions.
 */
export interface ChildGatehouse {
  url: string;
  tlsCertPem: string;
  dir: string;
  process: ChildProcess;
  /** How the process ended, once it has. */
  exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  stdout(): string;
  stderr(): string;
  stop(): Promise<void>;
}

/** Everything but the server section, which is this file's (a free port, the certificate). */
export type ChildConfig = Omit<ConfigInput, 'server'>;

/**
 * `workers`: server.workers, 1 unless given, so a crash is the process exiting rather than a
 * worker the cluster's primary replaces (test/cli/serve-cluster.test.ts runs several).
 * `nodeArgs`: node's own options (the workers inherit them), e.g. --cpu-prof for a benchmark.
 */
export async function spawnGatehouse(config: ChildConfig, opts: { workers?: number; startTimeoutMs?: number; nodeArgs?: string[] } = {}): Promise<ChildGatehouse> {
  const { workers = 1, startTimeoutMs = 30_000, nodeArgs = [] } = opts;
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: build first (npm run --silent build; test/run-all.sh does it before the tests)`);
  const dir = await mkdtemp(join(tmpdir(), 'gatehouse-fuzz-'));
  const port = await freePort();
  const url = `https://localhost:${port}`;
  const tls = await makeLocalhostTls();
  await writeFile(join(dir, 'server.crt'), tls.certPem);
  await writeFile(join(dir, 'server.key'), tls.keyPem, { mode: 0o600 });
  const input: ConfigInput = {
    ...config,
    server: { publicUrl: url, listen: { host: '127.0.0.1', port }, tls: { certFile: 'server.crt', keyFile: 'server.key' }, shutdownGraceMs: 1000, workers },
  };
  await writeFile(join(dir, 'gatehouse.yaml'), stringify(input), { mode: 0o600 });

  const child = spawn(process.execPath, [...nodeArgs, CLI, 'serve', '-c', join(dir, 'gatehouse.yaml')], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (s: string) => { out += s; });
  child.stderr!.setEncoding('utf8').on('data', (s: string) => { err += s; });
  const running: ChildGatehouse = {
    url,
    tlsCertPem: tls.certPem,
    dir,
    process: child,
    exit: undefined,
    stdout: () => out,
    stderr: () => err,
    async stop() {
      if (!running.exit) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(timer);
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
  child.once('exit', (code, signal) => { running.exit = { code, signal }; });
  // A test process that dies (a timeout, ^C) must not leave the server behind.
  const orphaned = () => child.kill('SIGKILL');
  process.once('exit', orphaned);
  child.once('exit', () => process.off('exit', orphaned));

  const wire = new Wire(url, tls.certPem, 1);
  try {
    const deadline = Date.now() + startTimeoutMs;
    for (;;) {
      if (running.exit) throw new Error(`gatehouse serve exited (${JSON.stringify(running.exit)}) before answering /adfs/probe:\n${err}\n${out}`);
      const status = await wire.send('GET', '/adfs/probe').then((a) => a.status, () => 0);
      if (status === 200) break;
      if (Date.now() > deadline) throw new Error(`gatehouse serve did not answer /adfs/probe 200 within ${startTimeoutMs} ms:\n${err}\n${out}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  } catch (e) {
    await running.stop();
    throw e;
  } finally {
    await wire.close();
  }
  return running;
}

/** A key-encryption key for a throwaway store. */
export function throwawayKek(): string {
  return randomBytes(32).toString('base64');
}
