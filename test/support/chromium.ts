import { chromium, type Browser } from 'playwright-core';

/**
 * Debian's Chromium driven by playwright-core (never a downloaded browser). The flags keep it off
 * the network this machine does not have; certificate errors are ignored per context because every
 * party in these tests serves a throwaway loopback certificate.
 */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}
