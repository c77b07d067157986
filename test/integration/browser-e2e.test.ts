// A person's first hour with Sluice, in a real browser against real processes:
// sign in as the superuser made by CREATE_SUPERUSER, create a team and a
// project, copy the DSN from the page, send errors with an unmodified
// @sentry/node, and watch the count arrive on the project page. Then a page on
// another origin reports an error with @sentry/browser over CORS.
// Screenshots land in test-output/ for a person to look at.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, SCREENSHOTS, type TestBrowser } from '../helpers/browser.js';
import { childEnv, ROOT, Sluice } from '../helpers/processes.js';

const run = promisify(execFile);
const EMAIL = 'ada@example.com';
const PASSWORD = 'analytical-engine-1843';

let sluice: Sluice;
let browser: TestBrowser;
let page: Page;
/** What the CSP refused on Sluice's own pages: must stay empty. */
const violations: string[] = [];

beforeAll(async () => {
  fs.mkdirSync(SCREENSHOTS, { recursive: true });
  [sluice, browser] = await Promise.all([
    Sluice.start({ workers: 2, env: { CREATE_SUPERUSER: `${EMAIL}:${PASSWORD}` } }),
    launchBrowser(),
  ]);
  page = browser.context.pages()[0] ?? (await browser.context.newPage());
  page.on('console', (m) => {
    if (/Content Security Policy|Refused to/.test(m.text()) && page.url().startsWith(sluice.url)) violations.push(m.text());
  });
});
afterAll(async () => {
  await browser?.close();
  await sluice?.stop();
});

async function countOnPage(projectPath: string, wanted: number): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    await page.goto(`${sluice.url}${projectPath}`);
    const shown = Number((await page.textContent('[data-count="events"]'))?.replace(/\D/g, ''));
    if (shown === wanted) return;
    if (Date.now() > deadline) throw new Error(`project page shows ${shown} events, not ${wanted}:\n${sluice.logs.join('')}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** @sentry/browser as one script: the npm package ships ES modules only (no ready-made bundle), so bundle it as a CDN would. */
async function sentryBrowserBundle(): Promise<string> {
  const out = await build({
    stdin: { contents: "export * from '@sentry/browser';", resolveDir: ROOT, loader: 'js' },
    bundle: true,
    format: 'iife',
    globalName: 'Sentry',
    platform: 'browser',
    minify: true,
    write: false,
    logLevel: 'silent',
  });
  return out.outputFiles[0]!.text;
}

/** A tiny site on another port of loopback: another origin, so the SDK's POST is cross-origin. */
async function otherOrigin(dsn: string): Promise<{ url: string; close(): Promise<void> }> {
  const bundle = await sentryBrowserBundle();
  const files: Record<string, [string, string]> = {
    '/': ['text/html', '<!doctype html><title>Shop</title><script src="/sentry.js"></script><script src="/app.js"></script><p>shop</p>'],
    '/sentry.js': ['text/javascript', bundle],
    '/app.js': [
      'text/javascript',
      `Sentry.init({ dsn: ${JSON.stringify(dsn)}, release: 'web@2.0.0' });
       function checkout() { throw new RangeError('Cart total out of range: -3'); }
       setTimeout(checkout, 0);`,
    ],
  };
  const server = http.createServer((req, res) => {
    const file = files[req.url ?? ''];
    if (!file) return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': file[0] }).end(file[1]);
  });
  await new Promise<void>((resolve) => server.listen(0, 'localhost', resolve));
  return {
    url: `http://localhost:${(server.address() as AddressInfo).port}/`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

describe('in a real browser', () => {
  let projectPath = '';
  let dsn = '';

  it('signs in, creates a team and a project, and shows its DSN', async () => {
    await page.goto(`${sluice.url}/`);
    await page.waitForURL(/\/signin/);
    await page.screenshot({ path: path.join(SCREENSHOTS, 'signin.png') });

    await page.fill('#email', EMAIL);
    await page.fill('#password', PASSWORD);
    await page.click('button[type=submit]');
    await page.waitForURL(/\/projects$/);
    expect(await page.textContent('h1')).toBe('Projects');

    await page.goto(`${sluice.url}/teams`);
    await page.fill('#team-name', 'Analytical Engines');
    await page.click('button:has-text("Create team")');
    await page.waitForURL(/\/teams\/analytical-engines/);

    await page.click('a:has-text("New project")');
    await page.fill('#name', 'Difference Engine');
    await page.click('button:has-text("Create project")');
    await page.waitForURL(/\/projects\/\d+\/settings/);
    dsn = (await page.textContent('[data-dsn]'))!.trim();
    expect(dsn).toMatch(new RegExp(`^http://[0-9a-f]{32}@127\\.0\\.0\\.1:${sluice.port}/\\d+$`));
    projectPath = `/projects/${dsn.split('/').at(-1)}`;
    // The snippets switch as tabs (external script, CSP-safe).
    await page.click('button[data-tab="python"]');
    expect(await page.isVisible('[data-panel="python"]')).toBe(true);
    expect(await page.isVisible('[data-panel="node"]')).toBe(false);
    await page.screenshot({ path: path.join(SCREENSHOTS, 'project-settings.png'), fullPage: true });
  });

  it('counts the errors an unmodified @sentry/node sends to that DSN', async () => {
    const { stdout } = await run(process.execPath, [path.join(ROOT, 'test/fixtures/sentry-node-client.mjs')], {
      env: childEnv({ SENTRY_DSN: dsn }),
    });
    expect(JSON.parse(stdout.trim().split('\n').at(-1)!)).toMatchObject({ flushed: true });
    await countOnPage(projectPath, 4);
    expect(Number(await page.textContent('[data-count="issues"]'))).toBe(3);
    await page.screenshot({ path: path.join(SCREENSHOTS, 'project.png'), fullPage: true });
  });

  it('digests an error that @sentry/browser sends from another origin over CORS', async () => {
    const site = await otherOrigin(dsn);
    try {
      const shop = await browser.context.newPage();
      await shop.goto(site.url);
      await countOnPage(projectPath, 5);
      await shop.close();
    } finally {
      await site.close();
    }
    const issue = sluice.query<{ title: string; platform: string }>("SELECT title, platform FROM issues WHERE title LIKE 'RangeError%'");
    expect(issue).toEqual([{ title: 'RangeError: Cart total out of range: -3', platform: 'javascript' }]);
  });

  it('kept every page within the Content-Security-Policy', () => {
    expect(violations).toEqual([]);
  });
});
