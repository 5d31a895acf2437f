import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, it } from 'node:test';
import { DOMParser, type Element } from '@xmldom/xmldom';
import { mexDocument } from '../../metadata/mex.js';
import { qnameValues } from './qnames.js';

const run = promisify(execFile);
const PUBLIC = 'https://sts.corp.example.com';
const WSDL = 'http://schemas.xmlsoap.org/wsdl/';
const WSP = 'http://schemas.xmlsoap.org/ws/2004/09/policy';
const SP2005 = 'http://schemas.xmlsoap.org/ws/2005/07/securitypolicy';

/** MSAL Python 1.21's own MEX parser (Debian python3-msal), fed the document on stdin. */
async function msalPythonEndpoint(doc: string): Promise<unknown> {
  const script = 'import json,sys; from msal.mex import Mex; print(json.dumps(Mex(sys.stdin.read()).get_wstrust_username_password_endpoint()))';
  const child = run('/usr/bin/python3', ['-c', script], { timeout: 30_000 });
  child.child.stdin?.end(doc);
  return JSON.parse((await child).stdout);
}

describe('MEX (ENTRA.md §6.6)', () => {
  const doc = mexDocument(PUBLIC);
  const root = new DOMParser().parseFromString(doc, 'text/xml').documentElement!;
  const children = (ns: string, name: string): Element[] => Array.from(root.children).filter((n) => n.namespaceURI === ns && n.localName === name);

  it('is a wsdl:definitions document whose policies are root children with wsu:Id', () => {
    assert.equal(root.namespaceURI, WSDL);
    assert.equal(root.localName, 'definitions');
    const ids = children(WSP, 'Policy').map((p) => p.getAttributeNS('http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd', 'Id'));
    assert.deepEqual(ids, ['UserNameWSTrustBinding_IWSTrust13Async_policy', 'UserNameWSTrustBinding_IWSTrustFeb2005Async_policy']);
  });

  it('gives MSAL Python the WS-Trust 1.3 username endpoint at the public address', async () => {
    assert.deepEqual(await msalPythonEndpoint(doc), {
      address: `${PUBLIC}/adfs/services/trust/13/usernamemixed`,
      action: 'http://docs.oasis-open.org/ws-sx/ws-trust/200512/RST/Issue',
    });
  });

  it('gives MSAL Python the 2005 endpoint when it is the only one it can use', async () => {
    const only2005 = doc.replace(/<wsp:Policy [^>]*IWSTrust13Async_policy">.*?<\/wsp:Policy><wsp:Policy /s, '<wsp:Policy ');
    assert.notEqual(only2005, doc);
    assert.deepEqual(await msalPythonEndpoint(only2005), {
      address: `${PUBLIC}/adfs/services/trust/2005/usernamemixed`,
      action: 'http://schemas.xmlsoap.org/ws/2005/02/trust/RST/Issue',
    });
  });

  it('declares every QName prefix it uses in values, and each port binding names a binding in the target namespace (WSDL 1.1 §2.7)', () => {
    const all = qnameValues(root);
    assert.ok(all.length >= 2);
    for (const q of all) assert.notEqual(q.uri, null, `${q.value} (${q.where}) resolves`);
    const target = root.getAttribute('targetNamespace');
    assert.equal(root.getAttributeNS('http://www.w3.org/2000/xmlns/', 'tns'), target, 'xmlns:tns on wsdl:definitions');
    const bindings = children(WSDL, 'binding').map((b) => b.getAttribute('name'));
    for (const port of Array.from(root.getElementsByTagNameNS(WSDL, 'port'))) {
      const [prefix, local] = port.getAttribute('binding')!.split(':');
      assert.equal(port.lookupNamespaceURI(prefix!), target);
      assert.ok(bindings.includes(local!), `${local} is a wsdl:binding`);
    }
  });

  it('has the 2005 username policy in the 2005/07 namespace MSAL.NET reads, and prefixed port bindings', () => {
    const policy2005 = children(WSP, 'Policy')[1]!;
    const supporting = policy2005.getElementsByTagNameNS(SP2005, 'SignedSupportingTokens');
    assert.equal(supporting.length, 1);
    assert.equal(supporting[0]!.getElementsByTagNameNS(SP2005, 'WssUsernameToken10').length, 1);
    assert.equal(policy2005.getElementsByTagNameNS(SP2005, 'TransportBinding').length, 1);
    const services = children(WSDL, 'service');
    assert.equal(services.length, 1);
    const ports = Array.from(services[0]!.getElementsByTagNameNS(WSDL, 'port'));
    assert.deepEqual(ports.map((p) => p.getAttribute('binding')), ['tns:UserNameWSTrustBinding_IWSTrust13Async', 'tns:UserNameWSTrustBinding_IWSTrustFeb2005Async']);
  });

  it('gives every binding a SOAP 1.2 binding and operation (MSAL Python crashes on a SOAP 1.1 one)', () => {
    const soap12 = 'http://schemas.xmlsoap.org/wsdl/soap12/';
    for (const b of children(WSDL, 'binding')) {
      assert.equal(b.getElementsByTagNameNS(soap12, 'binding')[0]?.getAttribute('transport'), 'http://schemas.xmlsoap.org/soap/http');
      assert.ok(b.getElementsByTagNameNS(soap12, 'operation')[0]?.getAttribute('soapAction'));
    }
    assert.doesNotMatch(doc, />\s+</, 'no whitespace between elements');
  });
});
