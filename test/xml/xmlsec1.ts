import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface XmlsecResult {
  ok: boolean;
  output: string;
}

/**
 * `xmlsec1 --verify` as an independent party (libxml2 + OpenSSL, not our code): the key comes
 * only from `certPem`, and the ID attribute is registered for `{ns}element` as xmlsec1 needs.
 */
export async function xmlsecVerify(xml: string, certPem: string, id: { attr: string; ns: string; element: string }): Promise<XmlsecResult> {
  const dir = await mkdtemp(join(tmpdir(), 'gatehouse-xmlsec-'));
  try {
    const xmlFile = join(dir, 'signed.xml');
    const certFile = join(dir, 'cert.pem');
    await writeFile(xmlFile, xml);
    await writeFile(certFile, certPem);
    const args = ['--verify', '--pubkey-cert-pem', certFile, `--id-attr:${id.attr}`, `${id.ns}:${id.element}`, xmlFile];
    return await new Promise<XmlsecResult>((resolve) => {
      execFile('/usr/bin/xmlsec1', args, { timeout: 30_000 }, (err, stdout, stderr) => {
        resolve({ ok: err === null, output: `${stdout}${stderr}` });
      });
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
