import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { Agent, fetch } from 'undici';

const root = fileURLToPath(new URL('../..', import.meta.url));

describe('npm run demo', () => {
  it('serves /adfs/probe = 200 at https://localhost:8443 with alice’s credentials printed, and stops its DC on SIGTERM', async () => {
    const demo = spawn('npm', ['run', '--silent', 'demo'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let output = '';
    demo.stdout.on('data', (d: Buffer) => (output += d.toString()));
    demo.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const exited = new Promise<number | null>((resolve) => demo.once('exit', resolve));
    try {
      for (let i = 0; i < 600 && !output.includes('demo is ready'); i++) await new Promise((r) => setTimeout(r, 200));
      assert.match(output, /demo is ready/, output);
      assert.match(output, /alice@corp\.example\.com\s+password Passw0rd!/);
      const res = await fetch('https://localhost:8443/adfs/probe', { dispatcher: new Agent({ connect: { rejectUnauthorized: false } }) });
      assert.equal(res.status, 200);
      const login = await fetch('https://localhost:8443/adfs/ls/?wa=wsignin1.0&wtrealm=urn:federation:MicrosoftOnline', { dispatcher: new Agent({ connect: { rejectUnauthorized: false } }) });
      assert.match(await login.text(), /name="UserName"/);
    } finally {
      if (demo.exitCode === null) process.kill(-demo.pid!, 'SIGTERM');
      await exited;
    }
    // npm exits at once; the demo's own SIGTERM handler then stops the DC.
    for (let i = 0; i < 100 && existsSync(`${root}/var/demo/ad/testbed.json`); i++) await new Promise((r) => setTimeout(r, 200));
    assert.equal(existsSync(`${root}/var/demo/ad/testbed.json`), false, 'the demo DC was stopped and removed');
  });
});
