import type { Config } from '../config/load.js';
import { MEX_PATH, USERNAME_2005 } from '../sts/protocols/wstrust/versions.js';

/** AD FS endpoint paths, at the root of the public origin as AD FS serves them (ARCHITECTURE.md "Endpoints"). */
export const AdfsPath = {
  passive: '/adfs/ls/',
  federationMetadata: '/FederationMetadata/2007-06/FederationMetadata.xml',
  mex: MEX_PATH,
  usernameMixed2005: USERNAME_2005.path,
} as const;

/** Absolute endpoint URLs as relying parties reach them (`server.publicUrl`). */
export type AdfsEndpoints = { readonly [K in keyof typeof AdfsPath]: string };

export function adfsEndpoints(config: Pick<Config, 'server'>): AdfsEndpoints {
  const origin = new URL(config.server.publicUrl).origin;
  const out = {} as Record<keyof typeof AdfsPath, string>;
  for (const key of Object.keys(AdfsPath) as (keyof typeof AdfsPath)[]) out[key] = origin + AdfsPath[key];
  return out;
}
