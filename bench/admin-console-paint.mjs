// How fast the admin console's overview appears, in Debian's Chromium (playwright-core), against
// a running API: the page's first contentful paint, then from the sign-in's submit to the four
// charts drawn, then a range change (another overview request) to charts drawn again.
//
//   CONSOLE_URL=http://localhost:3000/admin/ CONSOLE_EMAIL=… CONSOLE_PASSWORD=… \
//     node bench/admin-console-paint.mjs
//
// For an admin without a second factor (REQUIRE_ADMIN_MFA off, as outside production).
import { chromium } from 'playwright-core';

const url = process.env.CONSOLE_URL ?? 'http://localhost:3000/admin/';
const email = process.env.CONSOLE_EMAIL;
const password = process.env.CONSOLE_PASSWORD;
const rounds = Number(process.env.ROUNDS ?? 3);
if (!email || !password) {
  console.error('Set CONSOLE_EMAIL and CONSOLE_PASSWORD (an admin of the API at CONSOLE_URL)');
  process.exit(1);
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu'],
});
const results = [];
try {
  for (let round = 1; round <= rounds; round++) {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    await page.goto(url);
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill(password);
    await page.evaluate(() => performance.mark('submit'));
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.waitForSelector('main[data-rendered="overview"]', { timeout: 60_000 });
    const first = await page.evaluate(() => {
      const at = (name) => performance.getEntriesByName(name)[0]?.startTime;
      const overview = performance
        .getEntriesByType('resource')
        .filter((entry) => entry.name.includes('/admin/analytics/overview'))
        .at(-1);
      return {
        firstContentfulPaint: at('first-contentful-paint'),
        signInToCharts: at('overview-drawn') - at('submit'),
        overviewRequest: overview?.duration,
      };
    });
    // A second range: another overview request and another drawing, without signing in again.
    await page.evaluate(() => performance.clearMarks());
    await page.evaluate(() => performance.mark('range'));
    await page.getByRole('button', { name: 'Last 7 days' }).click();
    await page.waitForFunction(() => performance.getEntriesByName('overview-drawn').length > 0, {
      timeout: 60_000,
    });
    const rangeToCharts = await page.evaluate(
      () =>
        performance.getEntriesByName('overview-drawn')[0].startTime -
        performance.getEntriesByName('range')[0].startTime,
    );
    results.push({ round, ...first, rangeToCharts });
    await context.close();
  }
} finally {
  await browser.close();
}
const ms = (value) => (value === undefined ? '-' : `${Math.round(value)} ms`);
for (const result of results) {
  console.log(
    `round ${result.round}: first contentful paint ${ms(result.firstContentfulPaint)}, ` +
      `sign-in submit -> charts drawn ${ms(result.signInToCharts)} ` +
      `(overview request ${ms(result.overviewRequest)}), ` +
      `range change -> charts drawn ${ms(result.rangeToCharts)}`,
  );
}
