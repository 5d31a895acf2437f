import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Agent, fetch } from 'undici';
import { stringify } from 'yaml';
import type { ConfigInput } from '../../config/schema.js';
import { freePort } from './gatehouse.js';

const CLI = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));

/**
 * One node of a farm as an operator runs it: the built CLI's `gatehouse serve` in a child process,
 * with its own YAML config (the farm's shared sections plus its own port) in `dir`, where the TLS
 * files named by `tls` are. Killing it is a node dying (one worker: a killed cluster's workers would
 * drain and stop, not die with it); its output is kept for failure messages.
 */
export interface FarmNode {
  url: string;
  process: ChildProcess;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  output(): string;
  /** SIGKILL: the node dies mid-request, without its shutdown. */
  kill(): Promise<void>;
  /** SIGTERM and wait. */
  stop(): Promise<void>;
}

/** The config every node of the test farm shares; the server section is each node's. */
/** Every node's config; of `server`, only what all nodes share (the load balancer's address in trustedProxies), each node's own listener added. */
export type FarmConfig = Omit<ConfigInput, 'server'> & { server?: Pick<NonNullable<ConfigInput['server']>, 'trustedProxies'> };

export async function startFarmNode(dir: string, name: string, config: FarmConfig, tls: { certFile: string; keyFile: string; certPem: string }): Promise<FarmNode> {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: build first (npm run --silent build; test/run-all.sh does it)`);
  const port = await freePort();
  const url = `https://localhost:${port}`;
  const file = join(dir, `${name}.yaml`);
  const input: ConfigInput = { ...config, server: { ...config.server, publicUrl: url, listen: { host: '127.0.0.1', port }, tls: { certFile: tls.certFile, keyFile: tls.keyFile }, shutdownGraceMs: 500, workers: 1 } };
  await writeFile(file, stringify(input), { mode: 0o600 });
  const child = spawn(process.execPath, [CLI, 'serve', '-c', file], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.setEncoding('utf8').on('data', (s: string) => (out += s));
  child.stderr!.setEncoding('utf8').on('data', (s: string) => (out += s));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  let gone = false;
  void exited.then(() => (gone = true));
  // A test process that dies must not leave its nodes behind.
  const orphaned = () => child.kill('SIGKILL');
  process.once('exit', orphaned);
  void exited.then(() => process.off('exit', orphaned));
  const node: FarmNode = {
    url,
    process: child,
    exited,
    output: () => out,
    async kill() {
      if (!gone) child.kill('SIGKILL');
      await exited;
    },
    async stop() {
      if (!gone) child.kill('SIGTERM');
      await exited;
    },
  };
  const agent = new Agent({ connect: { ca: tls.certPem } });
  try {
    const deadline = Date.now() + 30_000;
    while ((await fetch(`${url}/adfs/probe`, { dispatcher: agent }).then((r) => r.status, () => 0)) !== 200) {
      if (gone) throw new Error(`node ${name} exited before answering /adfs/probe:\n${out}`);
      if (Date.now() > deadline) throw new Error(`node ${name} did not answer /adfs/probe within 30 s:\n${out}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  } catch (err) {
    await node.kill();
    throw err;
  } finally {
    await agent.close();
  }
  return node;
}

/** Polls `fn` until it gives a value (a throw counts as not yet), or fails naming `what` after `ms`: nodes act in their own time. */
export async function until<T>(what: string, fn: () => Promise<T | undefined>, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
