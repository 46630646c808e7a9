// The staff console in Chromium against a civic-bridged whose [media]
// max-peers-per-connection is 1 (tests/browser/test-browser.c, test
// /civic-bridge/browser/console-peer-limit, passes the daemon's URL, a staff
// token and a live session): the console joins as the hall, the daemon
// refuses its second peer (the floor), and the console says so plainly, in
// the page's language, with the number the daemon allows.
//
// Prints TAP and exits 0 only when every check passed. A screenshot goes to
// $CB_BROWSER_ARTIFACTS.
import { join } from 'node:path';

import { WAIT_MS, check, expect, finish, loadChromium, need, stoppedEarly } from './tap.mjs';

const url = need('CB_URL');
const staffToken = need('CB_STAFF_TOKEN');
const session = need('CB_SESSION_ID');
const artifacts = need('CB_BROWSER_ARTIFACTS');
const { chromium, executablePath } = await loadChromium(artifacts);

const browser = await chromium.launch({
	executablePath,
	headless: true,
	timeout: WAIT_MS,
	args: ['--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream',
		'--allow-loopback-in-peer-connection', '--no-sandbox', '--disable-gpu', '--no-first-run'],
});
const pageErrors = [];

try {
	const context = await browser.newContext({ viewport: { width: 1200, height: 900 }, timezoneId: 'Asia/Ho_Chi_Minh' });
	const page = await context.newPage();
	page.setDefaultTimeout(WAIT_MS);
	page.on('pageerror', (error) => pageErrors.push(error.message));

	await check('past the daemon\'s peers per connection, the console says how many and what to raise, in Vietnamese', async () => {
		await page.goto(`${url}/web/console/#token=${encodeURIComponent(staffToken)}`);
		await page.locator(`#sessions tr[data-session-id="${session}"].chosen`).waitFor({ timeout: WAIT_MS });
		await page.locator('#join-hall').waitFor({ state: 'visible', timeout: WAIT_MS });
		await page.click('#join-hall');
		await page.waitForFunction(() => document.querySelector('#error')?.dataset.code === 'too_large', null, { timeout: WAIT_MS });
		const text = (await page.textContent('#error')).trim();
		expect(text.includes('tối đa 1 luồng hình'), `the page says: ${text}`);
		expect(text.includes('max-peers-per-connection'), `the key is not named: ${text}`);
		expect(await page.evaluate(() => document.querySelector('html').lang) === 'vi', 'not in Vietnamese');
		// the hall's own camera, the one peer allowed, is still in the room
		await page.locator('#grid video[data-slot="hall"]').waitFor({ timeout: WAIT_MS });
		await page.screenshot({ path: join(artifacts, 'console-peer-limit.png'), fullPage: true });
	});

	await check('no page errors', async () => {
		expect(pageErrors.length === 0, pageErrors.join('\n'));
	});
} catch (e) {
	stoppedEarly(e);
} finally {
	await browser.close();
}

finish(artifacts);
