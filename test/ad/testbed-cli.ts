import { resolve } from 'node:path';
import { descriptorName, provisionTestBed, stopTestBed } from './testbed.js';

// Usage: testbed-cli start <dir> | stop <dir>  (test/run-all.sh, test/demo.sh)
const [command, dirArg] = process.argv.slice(2);
if (!dirArg || (command !== 'start' && command !== 'stop')) {
  console.error('usage: testbed-cli start|stop <dir>');
  process.exit(2);
}
const dir = resolve(dirArg);
if (command === 'start') {
  const started = Date.now();
  const bed = await provisionTestBed({ dir, realm: 'corp.example.com', netbios: 'CORP' });
  console.error(`test bed: ${bed.realm} at ${bed.ldapsUrl} (samba pid ${bed.pid}) in ${Date.now() - started} ms; ${dir}/${descriptorName}`);
} else {
  await stopTestBed(dir);
}
