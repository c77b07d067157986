/**
 * A real browser for end-to-end tests: Debian's Chromium driven by
 * playwright-core (which cannot download a browser of its own here;
 * scripts/ensure-chromium.sh installs the package). Each launch gets a fresh
 * profile directory, removed on close.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { ROOT } from './processes.js';

export const CHROMIUM = '/usr/bin/chromium';
export const SCREENSHOTS = path.join(ROOT, 'test-output');

export interface TestBrowser {
  readonly context: BrowserContext;
  close(): Promise<void>;
}

export async function launchBrowser(opts: { javaScriptEnabled?: boolean } = {}): Promise<TestBrowser> {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1280, height: 860 },
    javaScriptEnabled: opts.javaScriptEnabled ?? true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  return {
    context,
    async close() {
      await context.close();
      fs.rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Signs in through the sign-in form, as a person would; resolves on the page after it. */
export async function signIn(page: Page, baseUrl: string, email: string, password: string): Promise<void> {
  await page.goto(`${baseUrl}/signin`);
  await page.fill('#email', email);
  await page.fill('#password', password);
  await Promise.all([page.waitForURL((u) => !u.pathname.startsWith('/signin')), page.click('button[type=submit]')]);
}

/**
 * Records every Content-Security-Policy violation of the context's pages, as the
 * `securitypolicyviolation` event reports it (an init script, run through the
 * DevTools protocol, so the page's own CSP does not stop it), plus console
 * messages about refused content. Read `window.__csp` in a page, or `console`.
 */
export async function recordCspViolations(context: BrowserContext): Promise<{ console: string[] }> {
  // Page-side code as text: this project compiles without the DOM's types.
  await context.addInitScript(`
    window.__csp = [];
    document.addEventListener('securitypolicyviolation', (e) => {
      window.__csp.push(e.violatedDirective + ' ' + e.blockedURI + ' ' + e.sample);
    });
  `);
  const seen = { console: [] as string[] };
  context.on('console', (m) => {
    if (/Content Security Policy|Refused to/.test(m.text())) seen.console.push(`${m.page()?.url()}: ${m.text()}`);
  });
  return seen;
}
