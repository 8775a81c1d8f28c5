import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { existsSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateSync } from 'otplib';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import {
  ADMIN_CONSOLE_PATH,
  defaultConsoleFolder,
} from '../../src/modules/admin-console/admin-console.js';
import { ActivityBuffer } from '../../src/modules/activity/activity-buffer.service.js';
import { ActivitySeeder } from '../../src/modules/activity/activity-seeder.service.js';
import { createTotpAdmin, type TotpAdmin } from '../factories/admins.factory.js';
import {
  bearer,
  createAdmin,
  registerUser,
  type RegisteredUser,
} from '../factories/users.factory.js';
import { ManualClock } from '../support/manual-clock.js';
import { CHROMIUM, chromiumInstalled, launchChromium } from '../support/passkey-browser.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import type { AnalyticsOverviewDto as Overview } from '../client/generated/types.gen.js';

const MISSING =
  `Chromium is not installed at ${CHROMIUM} (apt-get install -y chromium chromium-driver; ` +
  `.ci/run installs it)`;
const NOT_BUILT = `The admin console is not built (${defaultConsoleFolder()}/index.html is missing): run npm run build first`;

const number = new Intl.NumberFormat('en-US');

/**
 * What the checks below read of the page's DOM (the tests compile without the DOM's types; the
 * functions passed to evaluate run in the page, so they name `document` through globalThis).
 */
interface PageCanvas {
  id: string;
  width: number;
  height: number;
  getContext(kind: '2d'): {
    getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray };
  } | null;
}
interface PageDocument {
  activeElement: { textContent: string | null; blur(): void } | null;
  documentElement: { scrollWidth: number };
}

// The admin console in Debian's Chromium, driven by playwright-core, against the real API
// serving the built console (npm run build) at /admin: one browser, one page.
if (!chromiumInstalled() && !process.env.CI) {
  describe.skip(`admin console in a browser (skipped: ${MISSING})`, () => {
    it('signs in an admin and draws the overview', () => undefined);
  });
} else {
  describe('admin console in a browser', () => {
    let api: TestApp;
    let browser: Browser;
    let context: BrowserContext;
    let page: Page;
    const clock = new ManualClock();
    let admin: TotpAdmin;
    let member: RegisteredUser;
    let adminWithoutSecondFactor: RegisteredUser;
    let target: RegisteredUser;
    const consoleErrors: string[] = [];
    const screenshots = join(
      tmpdir(),
      `insightsheet-admin-console-${process.env.TEST_RUN_ID ?? process.pid}`,
    );

    beforeAll(async () => {
      if (!chromiumInstalled()) throw new Error(`CI is set: ${MISSING}`);
      if (!existsSync(join(defaultConsoleFolder(), 'index.html'))) throw new Error(NOT_BUILT);
      api = await startTestApp({
        clock,
        env: { REQUIRE_ADMIN_MFA: 'true', ACTIVITY_FLUSH_MS: '50' },
      });
      await api.app.get(ActivitySeeder).seed(60, 2000, 20);
      admin = await createTotpAdmin(api, clock);
      member = await registerUser(api, { name: 'Not An Admin' });
      adminWithoutSecondFactor = await createAdmin(api);
      target = await registerUser(api, { name: 'Target Person' });
      await api.app.get(ActivityBuffer).flush();
      browser = await launchChromium();
      context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
      page = await context.newPage();
      page.on('console', (message) => {
        if (message.type() === 'error') consoleErrors.push(message.text());
      });
      page.on('pageerror', (error) => consoleErrors.push(error.message));
    }, 60_000);
    afterAll(async () => {
      await browser?.close();
      await api?.close();
    });

    const consoleUrl = (path = '') => `${api.url}${ADMIN_CONSOLE_PATH}/${path}`;
    const main = () => page.locator('main');
    const rendered = (route: string) =>
      page.waitForSelector(`main[data-rendered="${route}"]`, { timeout: 10_000 });

    async function signInWithPassword(user: RegisteredUser): Promise<void> {
      await page.getByLabel('Email').fill(user.email);
      await page.getByLabel('Password').fill(user.password);
      await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    }

    it('serves the console with its own CSP, its page for client routes, and nothing outside its folder', async () => {
      const index = await api.fetch(`${ADMIN_CONSOLE_PATH}/`);
      expect(index.status).toBe(200);
      expect(index.headers.get('content-type')).toMatch(/^text\/html/);
      const csp = index.headers.get('content-security-policy') ?? '';
      expect(csp).toContain("default-src 'self'");
      expect(csp).toContain("script-src 'self'");
      expect(csp).toContain("style-src 'self'");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).not.toMatch(/unsafe-inline|unsafe-eval|https?:/);
      const html = await index.text();
      // No inline script or style: every script and stylesheet is a file of the console.
      expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
      expect(html).not.toMatch(/<style|style=/);
      const asset = /src="(\/admin\/assets\/[^"]+\.js)"/.exec(html)?.[1];
      expect(asset).toBeDefined();
      const script = await api.fetch(asset!);
      expect(script.status).toBe(200);
      expect(script.headers.get('cache-control')).toContain('immutable');

      // A client-side route gets the console's page; the API keeps its own headers.
      const clientRoute = await api.fetch(`${ADMIN_CONSOLE_PATH}/users/${target.id}`);
      expect(clientRoute.status).toBe(200);
      expect(await clientRoute.text()).toBe(html);
      const apiAnswer = await api.fetch('/api/v1/plans');
      expect(apiAnswer.headers.get('content-security-policy')).toContain("default-src 'none'");

      for (const path of [
        '/admin/assets/missing.js',
        '/admin/../package.json',
        '/admin/%2e%2e/package.json',
        '/admin/..%2f..%2fpackage.json',
        '/admin/%2e%2e%2f%2e%2e%2fdist%2fsrc%2fmain.js',
        '/admin/vite.config.ts',
      ]) {
        const response = await api.fetch(path);
        const body = await response.text();
        expect([path, response.status]).toEqual([path, 404]);
        expect(body).not.toContain('insightsheet-backend');
      }
      expect((await api.fetch(`${ADMIN_CONSOLE_PATH}/`, { method: 'POST' })).status).toBe(405);
    });

    it('refuses a signed-in user who is not an admin', async () => {
      await page.goto(consoleUrl());
      await signInWithPassword(member);
      await expect(
        page.getByRole('heading', { name: 'Not an administrator' }).waitFor(),
      ).resolves.toBeUndefined();
      expect(await main().textContent()).toContain(member.email);
      await expect(page.locator('#top').isHidden()).resolves.toBe(true);
      await page.getByRole('button', { name: 'Sign in with another account' }).click();
      await page.getByRole('heading', { name: 'Sign in to the admin console' }).waitFor();
    });

    it('tells an admin without a second factor why they cannot go on, and enrols an authenticator app', async () => {
      await signInWithPassword(adminWithoutSecondFactor);
      await page.getByRole('heading', { name: 'A second factor is required' }).waitFor();
      expect(await main().textContent()).toContain('mfa_required');
      await expect(page.locator('#top').isHidden()).resolves.toBe(true);

      await page.getByRole('button', { name: 'Set up an authenticator app' }).click();
      const secret = (await page.locator('code.secret').first().textContent()) ?? '';
      expect(secret).toMatch(/^[A-Z2-7]{16,}$/);
      const code = generateSync({ secret, epoch: Math.floor(clock.nowMs() / 1000) });
      await page.getByLabel('Code from the app').fill(code);
      await page.getByRole('button', { name: 'Confirm' }).click();
      await page.getByText('The authenticator is set up.').waitFor();
      expect(await page.locator('ul.codes li').count()).toBe(10);
      const [row] = await api.query<{ confirmed: boolean }>(
        `SELECT confirmed_at IS NOT NULL AS confirmed FROM user_totp WHERE user_id = $1`,
        [adminWithoutSecondFactor.id],
      );
      expect(row.confirmed).toBe(true);
      clock.advance(30_000);
      await page.getByRole('button', { name: 'Sign in again with the code' }).click();
      await page.getByRole('heading', { name: 'Sign in to the admin console' }).waitFor();
    });

    it('signs an admin in with a TOTP code and draws the overview from the seeded data', async () => {
      await signInWithPassword(admin);
      await page.getByLabel('Code from your authenticator app').fill(admin.codeAt());
      clock.advance(30_000);
      await page.getByRole('button', { name: 'Verify' }).click();
      await rendered('overview');

      // What the API answers for the same (default) range, and what the database holds.
      const expected = (await (
        await api.fetch('/api/v1/admin/analytics/overview', bearer(admin.accessToken))
      ).json()) as Overview;
      const [{ total }] = await api.query<{ total: number }>(
        `SELECT count(*)::int AS total FROM users`,
      );
      expect(expected.users.total).toBe(total);
      expect(expected.activeUsers.mau).toBeGreaterThan(0);
      expect(expected.topActions.length).toBeGreaterThan(0);

      const kpi = (name: string) => page.locator(`[data-kpi="${name}"] dd`).textContent();
      expect(await kpi('users-total')).toBe(number.format(total));
      expect(await kpi('users-new')).toBe(number.format(expected.users.new));
      expect(await kpi('dau')).toBe(number.format(expected.activeUsers.dau));
      expect(await kpi('wau')).toBe(number.format(expected.activeUsers.wau));
      expect(await kpi('mau')).toBe(number.format(expected.activeUsers.mau));

      const rows = (section: string) =>
        page
          .locator(`section[aria-label="${section}"] tbody tr`)
          .evaluateAll((trs) =>
            trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent ?? '')),
          );
      expect(await rows('Signups per day')).toEqual(
        expected.signupsPerDay.map((entry) => [entry.day, number.format(entry.signups)]),
      );
      expect(await rows('Active users')).toEqual(
        expected.activeUsersPerDay.map((entry) =>
          [entry.day, entry.dau, entry.wau, entry.mau].map((cell) =>
            typeof cell === 'number' ? number.format(cell) : cell,
          ),
        ),
      );
      expect(expected.activeUsersPerDay.at(-1)).toEqual({
        day: expected.range.to,
        ...expected.activeUsers,
      });
      expect(await rows('Plan mix')).toEqual(
        expected.planMix.map((entry) => [entry.plan, number.format(entry.users)]),
      );
      expect(await rows('Top actions')).toEqual(
        expected.topActions.map((entry) => [
          entry.action,
          entry.source,
          number.format(entry.events),
        ]),
      );
      const planLabel = await page.locator('#chart-plans').getAttribute('aria-label');
      for (const entry of expected.planMix) {
        expect(planLabel).toContain(`${entry.plan} ${number.format(entry.users)}`);
      }

      // Each chart drew on its canvas (Chart.js paints nothing until it has data and a size).
      const painted = await page.locator('canvas').evaluateAll((canvases) =>
        canvases.map((canvas) => {
          const element = canvas as unknown as PageCanvas;
          const pixels = element
            .getContext('2d')!
            .getImageData(0, 0, element.width, element.height).data;
          let inked = 0;
          for (let index = 3; index < pixels.length; index += 4) if (pixels[index] > 0) inked++;
          return { id: element.id, inked, width: element.width };
        }),
      );
      expect(painted.map((chart) => chart.id)).toEqual([
        'chart-signups',
        'chart-active',
        'chart-plans',
        'chart-actions',
      ]);
      for (const chart of painted) {
        expect(chart.width).toBeGreaterThan(100);
        expect(chart.inked).toBeGreaterThan(500);
      }

      mkdirSync(screenshots, { recursive: true });
      const file = join(screenshots, 'overview-1280x800.png');
      await page.screenshot({ path: file, fullPage: true });
      process.stdout.write(`Admin console overview screenshot: ${file}\n`);
      expect(existsSync(file)).toBe(true);
    });

    it('is usable at phone width without sideways scrolling, and from the keyboard', async () => {
      await page.setViewportSize({ width: 390, height: 844 });
      await rendered('overview');
      expect(
        await page.evaluate(
          () =>
            (globalThis as unknown as { document: PageDocument }).document.documentElement
              .scrollWidth,
        ),
      ).toBeLessThanOrEqual(390);
      await page.screenshot({ path: join(screenshots, 'overview-390.png'), fullPage: false });
      await page.setViewportSize({ width: 1280, height: 800 });

      // Each page takes the focus when it is drawn, so Tab goes on into its first control;
      // Enter on a navigation link opens its page.
      const focused = () =>
        page.evaluate(() => {
          const element = (globalThis as unknown as { document: PageDocument }).document
            .activeElement as unknown as { id: string; name?: string } | null;
          return element?.name || element?.id;
        });
      expect(await focused()).toBe('main');
      await page.keyboard.press('Tab');
      expect(await focused()).toBe('from');
      await page.getByRole('link', { name: 'Workspaces' }).focus();
      await page.keyboard.press('Enter');
      await rendered('workspaces');
      expect(
        await page.getByRole('link', { name: 'Workspaces' }).getAttribute('aria-current'),
      ).toBe('page');
      expect(await focused()).toBe('main');
    });

    it("finds a user, shows the API's refusal plainly, deactivates them and their token is refused", async () => {
      await page.getByRole('link', { name: 'Users', exact: true }).click();
      await rendered('users');
      await page.getByLabel('Email or name').fill(target.email);
      await page.getByRole('button', { name: 'Search' }).click();
      await page.waitForURL(/search=/);
      await rendered('users');
      expect(await page.locator('#users-total').textContent()).toBe('1 users found');
      await page.getByRole('link', { name: target.email }).click();
      await rendered('users/:id');
      expect(await page.locator('#profile').textContent()).toContain('Target Person');

      // Promotion needs a verified address: the API's 403 is shown as it said it.
      await page.locator('form[aria-label="Change role"] select').selectOption('admin');
      await page.getByRole('button', { name: 'Change role' }).click();
      await page.locator('#confirm-ok').click();
      const refusal = page.locator('#action-status [role="alert"]');
      await refusal.waitFor();
      expect(await refusal.textContent()).toMatch(/403 email_not_verified/);

      // A cancelled confirmation changes nothing.
      await page.getByRole('button', { name: 'Deactivate' }).click();
      await page.getByRole('button', { name: 'Cancel' }).click();
      expect((await api.fetch('/api/v1/users/me', bearer(target.accessToken))).status).toBe(200);

      await page.getByRole('button', { name: 'Deactivate' }).click();
      expect(await page.locator('#confirm-text').textContent()).toContain(target.email);
      await page.locator('#confirm-ok').click();
      await page.getByText(`${target.email} is deactivated.`).waitFor();
      await rendered('users/:id');
      expect(await page.locator('#profile').textContent()).toContain('no (deactivated)');
      expect((await api.fetch('/api/v1/users/me', bearer(target.accessToken))).status).toBe(401);
      const [row] = await api.query<{ is_active: boolean }>(
        `SELECT is_active FROM users WHERE id = $1`,
        [target.id],
      );
      expect(row.is_active).toBe(false);
    });

    it('pages through activity with the cursor, and back', async () => {
      await page.getByRole('link', { name: 'Activity', exact: true }).click();
      await rendered('activity');
      const firstCells = () =>
        page
          .locator('#activity-results tbody tr')
          .evaluateAll((trs) => trs.map((tr) => tr.textContent ?? ''));
      const pageOne = await firstCells();
      expect(pageOne).toHaveLength(50);
      expect(await page.locator('#activity-results .page-of').textContent()).toBe('Page 1');

      await page.getByRole('button', { name: 'Older →' }).click();
      await page.locator('#activity-results .page-of', { hasText: 'Page 2' }).waitFor();
      const pageTwo = await firstCells();
      expect(pageTwo).toHaveLength(50);
      expect(pageTwo).not.toEqual(pageOne);

      // The second page is exactly the API's second page.
      const first = (await (
        await api.fetch('/api/v1/admin/activity?limit=50', bearer(admin.accessToken))
      ).json()) as { nextCursor: string };
      const second = (await (
        await api.fetch(
          `/api/v1/admin/activity?limit=50&cursor=${encodeURIComponent(first.nextCursor)}`,
          bearer(admin.accessToken),
        )
      ).json()) as { items: { action: string }[] };
      expect(pageTwo.map((text, index) => text.includes(second.items[index].action))).toEqual(
        pageTwo.map(() => true),
      );

      await page.getByRole('button', { name: '← Newer' }).click();
      await page.locator('#activity-results .page-of', { hasText: 'Page 1' }).waitFor();
      expect(await firstCells()).toEqual(pageOne);

      // Filtered by action, every row is that action.
      await page.getByLabel('Action').fill('auth.login');
      await page.getByRole('button', { name: 'Filter' }).click();
      await page.waitForURL(/action=auth\.login/);
      await rendered('activity');
      const filtered = await firstCells();
      expect(filtered.length).toBeGreaterThan(0);
      for (const text of filtered) expect(text).toContain('auth.login');
    });

    it('broke no Content-Security-Policy rule and threw no error in the page', () => {
      expect(consoleErrors.filter((text) => !/status of 40[13]/.test(text))).toEqual([]);
    });
  });
}
