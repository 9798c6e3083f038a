import { type Browser, type BrowserContext, type CDPSession, type Page, chromium } from 'playwright-core';

/** A phone-sized page, so screenshots have one size on every run and machine. */
export const PHONE_VIEWPORT = { width: 390, height: 844 };

/** A passkey the virtual authenticator holds, as the DevTools protocol reports it. */
export interface VirtualCredential {
  credentialId: string;
  isResidentCredential: boolean;
  rpId?: string;
  userHandle?: string;
  signCount: number;
}

/** Headless Chromium with one page and a virtual platform authenticator that says yes to every prompt. */
export interface AuthenticatorBrowser {
  page: Page;
  /** The passkeys created so far. */
  credentials(): Promise<VirtualCredential[]>;
  close(): Promise<void>;
}

/** Debian's Chromium (deploy/test.sh installs it and sets CHROMIUM_PATH); playwright-core downloads no browser. */
function chromiumPath(): string {
  return process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
}

/** Headless Chromium with one page of the given size (light, en-GB, no scaling: the same pixels on every run). */
export async function launchBrowser(viewport: { width: number; height: number }) {
  const browser: Browser = await chromium.launch({
    executablePath: chromiumPath(),
    headless: true,
    // Chromium's sandbox refuses to run as root (as on CI machines).
    args: process.getuid?.() === 0 ? ['--no-sandbox'] : [],
  });
  try {
    const context: BrowserContext = await browser.newContext({
      viewport,
      deviceScaleFactor: 1,
      colorScheme: 'light',
      locale: 'en-GB',
    });
    return { browser, context, page: await context.newPage() };
  } catch (error) {
    await browser.close();
    throw error;
  }
}

/**
 * Launches Chromium with a virtual WebAuthn authenticator (DevTools protocol): a built-in, user-verifying
 * passkey provider whose presence and verification are simulated, so navigator.credentials.create/get
 * succeed without a person. WebAuthn needs a secure context and a domain RP ID: open pages at
 * http://localhost:<port>, never 127.0.0.1.
 */
export async function launchAuthenticatorBrowser(): Promise<AuthenticatorBrowser> {
  const { browser, context, page } = await launchBrowser(PHONE_VIEWPORT);
  try {
    const devtools: CDPSession = await context.newCDPSession(page);
    await devtools.send('WebAuthn.enable');
    const { authenticatorId } = await devtools.send('WebAuthn.addVirtualAuthenticator', {
      options: {
        protocol: 'ctap2',
        transport: 'internal',
        hasResidentKey: true,
        hasUserVerification: true,
        isUserVerified: true,
        automaticPresenceSimulation: true,
      },
    });
    return {
      page,
      credentials: async () =>
        (await devtools.send('WebAuthn.getCredentials', { authenticatorId })).credentials as VirtualCredential[],
      close: () => browser.close(),
    };
  } catch (error) {
    await browser.close();
    throw error;
  }
}
