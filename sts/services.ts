import type { RequestHandler, Router } from 'express';
import { serviceIdentifier } from '../config/load.js';
import { adfsEndpoints } from '../metadata/endpoints.js';
import { deriveKey, SealedValues } from '../keys/sealing.js';
import { CertificateValidator } from '../keys/certificate-validation.js';
import { OcspChecker } from '../keys/ocsp.js';
import { CrlChecker, revocationCheck } from '../keys/revocation.js';
import { BrowserSignIn } from './http/browser-signin.js';
import { CertificateHop } from './http/certificate-hop.js';
import { CERTIFICATE_PATH, certificateRouter } from './http/certificate-route.js';
import { changePasswordRouter } from './http/change-password-route.js';
import { Csrf } from './http/csrf.js';
import { metadataRouter } from './http/metadata-routes.js';
import { buildOidc } from './oidc.js';
import { passiveRouter } from './http/passive-route.js';
import { AddressRateLimit, refusalPage } from './http/rate-limit.js';
import { SamlEndpoint } from './http/saml-route.js';
import { SessionCookie } from './http/session-cookie.js';
import { wstrustRouter } from './http/wstrust-route.js';
import type { Runtime } from './runtime.js';
import { AddressThrottle } from './signin/address-throttle.js';
import { addressRanges } from './signin/network.js';
import { extranetLockoutFromConfig } from './signin/extranet-lockout.js';
import { mfaFromConfig } from './signin/mfa/from-config.js';
import { SignInPipeline } from './signin/pipeline.js';
import { SsoSessions } from './signin/session.js';
import { Saml2Tokens } from './tokens/saml2-tokens.js';
import { TokenService } from './tokens/token-service.js';
import { assetsRouter } from './ui/assets.js';
import { resolveTexts } from './ui/texts.js';

/**
 * Wires the sign-in walk (ARCHITECTURE.md) from the runtime, one instance of each part per
 * process, and returns every route: the one place endpoints are mounted (sts/http/app.ts mounts them in this order).
 */
export function buildServices(rt: Runtime) {
  const { config } = rt;
  const trusts = rt.trusts;
  const branding = { ...config.branding, texts: resolveTexts(config.branding.texts, config.file) };
  const throttle = new AddressThrottle(rt.store.counters, { failedPerAddress: config.rateLimit.failedPerAddress, failedWindowMs: config.rateLimit.failedWindowMinutes * 60_000, bannedAddresses: config.rateLimit.bannedAddresses });
  const pipeline = new SignInPipeline({
    directory: rt.directory,
    audit: rt.audit,
    insideCorporateNetwork: addressRanges(config.corporateNetwork),
    lockout: extranetLockoutFromConfig(config.lockout, rt.store, rt.kek),
    throttle,
    secondFactor: mfaFromConfig(rt),
    timer: rt.metrics.signInTimer,
    userRereadMs: config.session.userRereadSeconds * 1000,
    certificateMapping: config.certificateAuth.mapping,
    certificateEnabled: config.certificateAuth.enabled,
  });
  const sessions = new SsoSessions(rt.store.sessions, { lifetimeMs: config.session.lifetimeMinutes * 60_000 });
  const cookie = new SessionCookie(sessions, new SealedValues(rt.kek, 'sso session'), { cookieName: config.session.cookieName });
  const csrf = new Csrf(deriveKey(rt.kek, 'csrf'), rt.store.counters);
  const limits = new AddressRateLimit(rt.store.counters, rt.audit, config.rateLimit.perAddressPerMinute, throttle);
  const rateLimit = limits.guard(refusalPage(branding));
  const ban = limits.banGuard(refusalPage(branding));
  const certificate = certificateSignIn(rt, branding, csrf.field, rateLimit);
  const signIn = new BrowserSignIn({ pipeline, cookie, csrf, branding, audit: rt.audit, certificate: certificate?.hop });
  const tokens = new TokenService({ signer: () => rt.keys.signer(), domains: config.federation.domains, defaultIssuer: serviceIdentifier(config), audit: rt.audit });
  const saml = new SamlEndpoint({
    trusts,
    signIn,
    sessions,
    cookie,
    saml: new Saml2Tokens({ signer: () => rt.keys.signer(), domains: config.federation.domains, defaultIssuer: serviceIdentifier(config), audit: rt.audit }),
    counters: rt.store.counters,
    signInState: new SealedValues(rt.kek, 'saml sign-in state'),
    logoutState: new SealedValues(rt.kek, 'saml logout run'),
    audit: rt.audit,
    branding,
    endpoint: adfsEndpoints(config).passive,
  });
  const routers: Router[] = [
    assetsRouter(),
    passiveRouter({ trusts, signIn, sessions, cookie, tokens, audit: rt.audit, branding, rateLimit, ban, saml }),
    saml.idpInitiated(ban),
    metadataRouter({ config, store: rt.store, signer: () => rt.keys.signer() }),
    changePasswordRouter({ pipeline, csrf, branding, audit: rt.audit, rateLimit }),
    wstrustRouter({ trusts, pipeline, tokens, counters: rt.store.counters, audit: rt.audit, publicUrl: config.server.publicUrl, rateLimit: limits, log: rt.log.child({ part: 'wstrust' }) }),
    ...(config.oidc.enabled ? [buildOidc(rt, { pipeline, signIn, sessions, cookie, saml, branding, rateLimit })] : []),
  ];
  return { trusts, pipeline, sessions, tokens, routers, certificateRouters: certificate ? [assetsRouter(), certificate.router] : undefined };
}

/**
 * Certificate sign-in (config certificateAuth), when on: the hop between the two listeners and the
 * certificate listener's route. Its origin is the public host name on the certificate port (AD FS:
 * the same name, port 49443).
 */
function certificateSignIn(rt: Runtime, branding: Parameters<typeof certificateRouter>[0]['branding'], csrfField: string, guard: RequestHandler) {
  const c = rt.config.certificateAuth;
  if (!c.enabled) return undefined;
  const main = new URL(rt.config.server.publicUrl);
  const hop = new CertificateHop(rt.kek, { lifetimeMs: c.hopSeconds * 1000, mainOrigin: main.origin, certificateOrigin: `https://${main.hostname}:${c.port}`, path: CERTIFICATE_PATH });
  const fetching = { fetchTimeoutMs: c.revocation.fetchTimeoutMs, cacheMs: c.revocation.cacheMinutes * 60_000 };
  const revocation = revocationCheck(c.revocation.mode, new CrlChecker({ ...fetching, crlFiles: c.revocation.crlFiles }), new OcspChecker(fetching));
  const validator = new CertificateValidator({ failMode: c.revocation.failMode, revocation });
  return { hop, router: certificateRouter({ hop, validator, audit: rt.audit, branding, csrfField, guard }) };
}
