import type { Router } from 'express';
import { serviceIdentifier } from '../config/load.js';
import { deriveKey, SealedValues } from '../keys/sealing.js';
import { BrowserSignIn } from './http/browser-signin.js';
import { changePasswordRouter } from './http/change-password-route.js';
import { Csrf } from './http/csrf.js';
import { metadataRouter } from './http/metadata-routes.js';
import { passiveRouter } from './http/passive-route.js';
import { AddressRateLimit, refusalPage } from './http/rate-limit.js';
import { SessionCookie } from './http/session-cookie.js';
import { wstrustRouter } from './http/wstrust-route.js';
import type { Runtime } from './runtime.js';
import { AddressThrottle } from './signin/address-throttle.js';
import { addressRanges } from './signin/network.js';
import { extranetLockoutFromConfig } from './signin/extranet-lockout.js';
import { SignInPipeline } from './signin/pipeline.js';
import { SsoSessions } from './signin/session.js';
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
  });
  const sessions = new SsoSessions(rt.store.sessions, { lifetimeMs: config.session.lifetimeMinutes * 60_000 });
  const cookie = new SessionCookie(sessions, new SealedValues(rt.kek, 'sso session'), { cookieName: config.session.cookieName });
  const csrf = new Csrf(deriveKey(rt.kek, 'csrf'), rt.store.counters);
  const signIn = new BrowserSignIn({ pipeline, cookie, csrf, branding, audit: rt.audit });
  const tokens = new TokenService({ signer: () => rt.keys.signer(), domains: config.federation.domains, defaultIssuer: serviceIdentifier(config), audit: rt.audit });
  const limits = new AddressRateLimit(rt.store.counters, rt.audit, config.rateLimit.perAddressPerMinute, throttle);
  const rateLimit = limits.guard(refusalPage(branding));
  const ban = limits.banGuard(refusalPage(branding));
  const routers: Router[] = [
    assetsRouter(),
    passiveRouter({ trusts, signIn, sessions, cookie, tokens, audit: rt.audit, branding, rateLimit, ban }),
    metadataRouter({ config, store: rt.store, signer: () => rt.keys.signer() }),
    changePasswordRouter({ pipeline, csrf, branding, audit: rt.audit, rateLimit }),
    wstrustRouter({ trusts, pipeline, tokens, counters: rt.store.counters, audit: rt.audit, publicUrl: config.server.publicUrl, rateLimit: limits, log: rt.log.child({ part: 'wstrust' }) }),
  ];
  return { trusts, pipeline, sessions, tokens, routers };
}
