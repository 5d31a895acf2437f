import { X509Certificate } from 'node:crypto';
import { ConfidentialClientApplication, type INetworkModule, type NetworkResponse } from '@azure/msal-node';
import type { Http } from './http.js';

/** ENTRA.md §8.1: the app's granted Graph permissions, as one scope. */
export const GRAPH_SCOPE = 'https://graph.microsoft.com/.default';
const DEFAULT_AUTHORITY_HOST = 'https://login.microsoftonline.com';

export type GraphCredential = { clientSecret: string } | { certificatePem: string; privateKeyPem: string };

export interface TokenOptions {
  tenantId: string;
  clientId: string;
  credential: GraphCredential;
  authorityHost: string;
  /** Default GRAPH_SCOPE; sovereign clouds have their own Graph resource. */
  scope?: string;
}

/** msal-node's network calls through our Http, so they get our timeout and our CA (msal's own fetch takes neither). */
function networkClient(http: Http): INetworkModule {
  const send = async <T>(method: string, url: string, headers?: Record<string, string>, body?: string): Promise<NetworkResponse<T>> => {
    const res = await http.send(method, url, { headers: headers ?? {}, ...(body === undefined ? {} : { body }) });
    return { status: res.status, headers: res.headers, body: (typeof res.body === 'string' ? {} : res.body) as T };
  };
  return {
    sendGetRequestAsync: (url, options) => send('GET', url, options?.headers),
    sendPostRequestAsync: (url, options) => send('POST', url, options?.headers, options?.body),
  };
}

/**
 * App-only access tokens for Graph by client credentials, secret or certificate assertion
 * (ENTRA.md §8.1). msal-node caches the token and renews it before it expires.
 */
export function graphTokenProvider(options: TokenOptions, http: Http): () => Promise<string> {
  const authorityHost = options.authorityHost.replace(/\/+$/, '');
  const credential = 'clientSecret' in options.credential
    ? { clientSecret: options.credential.clientSecret }
    : {
        clientCertificate: {
          thumbprintSha256: new X509Certificate(options.credential.certificatePem).fingerprint256.replaceAll(':', ''),
          privateKey: options.credential.privateKeyPem,
        },
      };
  const cca = new ConfidentialClientApplication({
    auth: {
      clientId: options.clientId,
      authority: `${authorityHost}/${options.tenantId}`,
      // Another host (sovereign cloud, the test double) is trusted as given instead of asking Microsoft's instance discovery.
      ...(authorityHost === DEFAULT_AUTHORITY_HOST ? {} : { knownAuthorities: [new URL(authorityHost).host] }),
      ...credential,
    },
    system: { networkClient: networkClient(http) },
  });
  const scopes = [options.scope ?? GRAPH_SCOPE];
  return async () => {
    const result = await cca.acquireTokenByClientCredential({ scopes });
    if (!result?.accessToken) throw new Error('the token authority returned no access token');
    return result.accessToken;
  };
}
