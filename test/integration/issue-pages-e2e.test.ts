// The issue pages as a person uses them, in Chromium against real processes:
// a storefront's errors of every level arrive through the ingest endpoint; the
// list shows them with sparklines; bulk actions resolve and mute rows; an issue
// resolved on its page regresses when its error comes back; the stack trace
// toggles between in-app and all frames and between cause-first and
// thrown-first. Everything works with JavaScript switched off, too.
// Screenshots for a person to look at land in test-output/: issues.png,
// issue.png, and the same two at a phone's width (issues-mobile.png, issue-mobile.png),
// a muted issue's header (issue-muted.png) and a tag search's hint (issues-hint.png).
import fs from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, recordCspViolations, SCREENSHOTS, signIn, type TestBrowser } from '../helpers/browser.js';
import { eventEnvelope, newEventId } from '../helpers/envelopes.js';
import { Sluice } from '../helpers/processes.js';
import { checkoutError, storefrontEvents } from '../helpers/storefront.js';

const EMAIL = 'grace@example.com';
const PASSWORD = 'compiler-a0-1952';

let sluice: Sluice;
let browser: TestBrowser;
let page: Page;
let csp: { console: string[] };
let project: { projectId: number; key: string };
const now = Date.now() / 1000;

/** Sends the events through the ingest endpoint, a few at a time but in order of batches, and waits until they are digested. */
async function send(events: Array<Record<string, unknown>>): Promise<void> {
  for (let i = 0; i < events.length; i += 16) {
    await Promise.all(
      events.slice(i, i + 16).map(async (e) => {
        const r = await fetch(`${sluice.url}/api/${project.projectId}/envelope/`, {
          method: 'POST',
          body: eventEnvelope({ event_id: newEventId(), ...e }),
          headers: { 'x-sentry-auth': `Sentry sentry_version=7, sentry_key=${project.key}, sentry_client=sentry.javascript.node/8.40.0` },
        });
        expect(r.status, await r.clone().text()).toBe(200);
      }),
    );
  }
  await sluice.drained();
}

const titleOf = (like: string) => sluice.query<{ id: number }>('SELECT id FROM issues WHERE title LIKE ?', `${like}%`)[0]!.id;

beforeAll(async () => {
  fs.mkdirSync(SCREENSHOTS, { recursive: true });
  [sluice, browser] = await Promise.all([Sluice.start({ env: { CREATE_SUPERUSER: `${EMAIL}:${PASSWORD}` } }), launchBrowser()]);
  csp = await recordCspViolations(browser.context);
  page = browser.context.pages()[0] ?? (await browser.context.newPage());
  await signIn(page, sluice.url, EMAIL, PASSWORD);
  // A team and its project, made in the UI as a person would.
  await page.goto(`${sluice.url}/teams`);
  await page.fill('#team-name', 'Shop');
  await page.click('button:has-text("Create team")');
  await page.click('a:has-text("New project")');
  await page.fill('#name', 'storefront-api');
  await page.click('button:has-text("Create project")');
  await page.waitForURL(/\/projects\/\d+\/settings/);
  const dsn = new URL((await page.textContent('[data-dsn]'))!.trim());
  project = { projectId: Number(dsn.pathname.slice(1)), key: dsn.username };
  await sluice.keyAccepted(project.projectId, project.key);

  await send(storefrontEvents(now));
});
afterAll(async () => {
  await browser?.close();
  await sluice?.stop();
});

describe('issue pages in a browser', () => {
  it('bulk-resolves and bulk-mutes rows of the list', async () => {
    await page.goto(`${sluice.url}/projects/${project.projectId}/issues`);
    expect(await page.locator('.issue-row').count()).toBe(8);
    // Select all (the script's): every row, then none; with none, the actions wait.
    const selectAll = page.locator('[data-select-all]');
    expect(await page.locator('.bulk-bar button[value=resolve]').isDisabled()).toBe(true);
    await selectAll.check();
    expect(await page.locator('input[name=issue]:checked').count()).toBe(8);
    expect(await page.textContent('[data-selected-count]')).toBe('8 selected:');
    await page.locator('input[name=issue]').first().uncheck();
    // Page-side code as text: this project compiles without the DOM's types.
    expect(await page.evaluate<boolean>(`document.querySelector('[data-select-all]').indeterminate`)).toBe(true);
    await selectAll.check();
    await selectAll.uncheck();
    expect(await page.locator('input[name=issue]:checked').count()).toBe(0);
    await page.check(`input[name=issue][value="${titleOf('ValueError')}"]`);
    expect(await page.locator('.bulk-bar button[value=resolve]').isDisabled()).toBe(false);
    await page.click('.bulk-bar button[value=resolve]');
    await page.waitForURL(/notice=issues-resolve/);
    await page.check(`input[name=issue][value="${titleOf('DeprecationWarning')}"]`);
    await page.selectOption('.bulk-bar select[name=mute]', '1w');
    await page.click('.bulk-bar button[value=mute]');
    await page.waitForURL(/notice=issues-mute/);
    // The second action's notice, not the first one's (the list's way back drops the old notice).
    expect(await page.textContent('.notice')).toContain('The selected issues are muted.');
    expect(new URL(page.url()).searchParams.getAll('notice')).toEqual(['issues-mute']);
    // The open tab now lists six; their counts say so.
    expect(await page.locator('.issue-row').count()).toBe(6);
    expect(await page.textContent('.issue-tabs a.active .tab-count')).toBe('6');
  });

  it('resolves an issue on its page, and shows the regression when its error comes back', async () => {
    const id = titleOf('CheckoutError');
    await page.goto(`${sluice.url}/issues/${id}`);
    await page.selectOption('select[name=resolution]', 'now');
    await page.click('.issue-actions button:has-text("Resolve")');
    await page.waitForURL(/notice=issue-resolved/);
    expect(await page.textContent('.issue-badges')).toContain('resolved');
    await send([checkoutError(Date.now() / 1000, 'storefront@2.4.2')]);
    await page.goto(`${sluice.url}/issues/${id}`);
    const history = await page.locator('.history li .history-kind').allTextContents();
    expect(history.map((h) => h.trim().toLowerCase())).toEqual(expect.arrayContaining(['first seen', 'resolved', 'regressed']));
    expect(await page.textContent('.issue-badges')).toContain('unresolved');
  });

  it('shows the chained stack trace: thrown first, in-app frames, the crash line highlighted', async () => {
    const id = titleOf('CheckoutError');
    await page.goto(`${sluice.url}/issues/${id}`);
    const titles = await page.locator('.exception-title').allTextContents();
    expect(titles.map((t) => t.trim())).toEqual([expect.stringMatching(/^CheckoutError: Could not reserve stock/), 'DatabaseError: connection terminated unexpectedly']);
    // In-app frames only: the thrown exception shows its two, newest first.
    const first = page.locator('.exception').first();
    expect(await first.locator('.frame-fn').allTextContents()).toEqual(['placeOrder', 'checkoutHandler']);
    expect(await first.locator('.source li.current').textContent()).toContain('throw new CheckoutError');
    expect(await first.locator('.source li.current').isVisible()).toBe(true);
    await page.click('.toggles a:has-text("All frames")');
    expect(await page.locator('.exception').first().locator('.frame-fn').count()).toBe(4);
    await page.click('.toggles a:has-text("Cause first")');
    expect((await page.locator('.exception-title').first().textContent())?.trim()).toBe('DatabaseError: connection terminated unexpectedly');
    // The toggles are kept while walking through the events.
    await page.click('.event-nav a:has-text("Older")');
    expect(page.url()).toMatch(/frames=all&order=cause/);
  });

  it('screenshots the list and an issue page, wide and narrow, without overflowing the page', async () => {
    const id = titleOf('CheckoutError');
    const shots: Array<[string, string, number]> = [
      ['issues.png', `/projects/${project.projectId}/issues?tab=all`, 1280],
      ['issue.png', `/issues/${id}`, 1280],
      ['issues-mobile.png', `/projects/${project.projectId}/issues?tab=all`, 390],
      ['issue-mobile.png', `/issues/${id}`, 390],
      // The header of a muted issue says until when; a tag search that found nothing offers the words as text.
      ['issue-muted.png', `/issues/${titleOf('DeprecationWarning')}`, 1280],
      ['issues-hint.png', `/projects/${project.projectId}/issues?tab=all&query=${encodeURIComponent('Slow:query')}`, 1280],
    ];
    for (const [file, url, width] of shots) {
      await page.setViewportSize({ width, height: 860 });
      await page.goto(`${sluice.url}${url}`);
      await page.screenshot({ path: path.join(SCREENSHOTS, file), fullPage: !/muted|hint/.test(file) });
      // Nothing wider than the window: long titles, URLs and code wrap or scroll inside their box.
      const overflow = await page.evaluate<number>('document.documentElement.scrollWidth - document.documentElement.clientWidth');
      expect(overflow, `${file}: the page scrolls sideways`).toBe(0);
    }
    await page.setViewportSize({ width: 1280, height: 860 });
    // Sparklines carry bars for the issues that had events in the last 24 hours.
    await page.goto(`${sluice.url}/projects/${project.projectId}/issues?tab=all`);
    expect(await page.locator('.sparkline .spark-bar').count()).toBeGreaterThan(20);
  });

  it('kept every page within the Content-Security-Policy', () => {
    expect(csp.console).toEqual([]);
  });
});

describe('without JavaScript', () => {
  it('lists, searches, pages, toggles frames and resolves', async () => {
    const nojs = await launchBrowser({ javaScriptEnabled: false });
    try {
      const p = nojs.context.pages()[0] ?? (await nojs.context.newPage());
      await signIn(p, sluice.url, EMAIL, PASSWORD);
      await p.goto(`${sluice.url}/projects/${project.projectId}/issues?tab=all`);
      // The select-all box needs the script: without it, it is not there to mislead.
      expect(await p.locator('[data-select-all]').isVisible()).toBe(false);
      await p.fill('input[name=query]', 'level:warning');
      await p.click('.issue-search button[type=submit]');
      await p.waitForURL(/query=level%3Awarning/);
      expect(await p.locator('.issue-row').count()).toBe(2);
      const id = titleOf('TypeError');
      await p.goto(`${sluice.url}/issues/${id}`);
      await p.click('.toggles a:has-text("All frames")');
      expect(await p.locator('.exception .frame-fn').count()).toBe(3);
      await p.click('.event-nav a:has-text("Older")');
      await p.click('a:has-text("All 140 events")');
      expect(await p.locator('tbody tr').count()).toBe(50);
      await p.click('a:has-text("Older →")');
      expect(await p.locator('tbody tr').count()).toBe(50);
      await p.goto(`${sluice.url}/issues/${id}`);
      await p.click('.issue-actions button:has-text("Resolve")');
      await p.waitForURL(/notice=issue-resolved/);
      expect(await p.textContent('.issue-badges')).toContain('resolved');
    } finally {
      await nojs.close();
    }
  });
});
