// Chromium as the reception hall and as a bridge point, against a real
// civic-bridged (started by tests/browser/test-browser.c, which passes the
// daemon's URL, the tokens and the sessions in the environment). Fake camera
// and microphone; Debian's /usr/bin/chromium driven by playwright-core.
//
// Prints TAP ("ok N - ...", "not ok N - ...") and exits 0 only when every
// check passed. Screenshots go to $CB_BROWSER_ARTIFACTS.
import { join } from 'node:path';

import { WAIT_MS, check, failures, finish, loadChromium, need, stoppedEarly } from './tap.mjs';



const url = need('CB_URL');
const staffToken = need('CB_STAFF_TOKEN');
const operatorToken = need('CB_OPERATOR_TOKEN');
const session = need('CB_SESSION_ID');
const idleSession = need('CB_IDLE_SESSION_ID');
const bridgePoint = `bp-${need('CB_BRIDGE_POINT_ID')}`;
const artifacts = need('CB_BROWSER_ARTIFACTS');
const { chromium, executablePath } = await loadChromium(artifacts);

const consoleErrors = [];
function watchConsole(page, name) {
	page.on('console', (message) => {
		// what the page says is part of the test log (it never holds a token)
		console.log(`# [${name} ${message.type()}] ${message.text()}`);
		if (message.type() === 'error')
			consoleErrors.push(`${name}: ${message.text()}`);
	});
	page.on('pageerror', (error) => consoleErrors.push(`${name}: ${error.message}`));
}

async function openPage(browser, name, path, token, sessionId) {
	const context = await browser.newContext({ viewport: { width: 1100, height: 800 } });
	const page = await context.newPage();
	watchConsole(page, name);
	// the token rides in the fragment, which never reaches the server
	await page.goto(`${url}/web/test/${path}#token=${encodeURIComponent(token)}&session=${sessionId}`);
	return page;
}

async function waitFor(page, selector) {
	await page.locator(selector).first().waitFor({ state: 'attached', timeout: WAIT_MS });
}

// the video of @slot has a picture, and its decoded frames keep growing
async function receivesVideo(page, slot) {
	await page.waitForFunction((s) => {
		const video = document.querySelector(`figure[data-slot="${s}"] video`);
		return video && video.videoWidth > 0 && video.videoHeight > 0;
	}, slot, { timeout: WAIT_MS });
	const first = await page.evaluate((s) => window.civicBridgeTest.framesDecoded(s), slot);
	await page.waitForFunction(async ([s, before]) => (await window.civicBridgeTest.framesDecoded(s)) > before + 5,
		[slot, first], { timeout: WAIT_MS, polling: 250 });
}

async function reportStats(pages) {
	for (const [name, page] of Object.entries(pages)) {
		const stats = await page.evaluate(() => window.civicBridgeTest?.stats()).catch((e) => ({ error: e.message }));
		for (const [handle, line] of Object.entries(stats ?? {}))
			console.log(`# stats ${name} ${handle}: ${line}`);
		const videos = await page.evaluate(() => [...document.querySelectorAll('video')].map((v) =>
			`${v.closest('figure')?.dataset.slot}: ${v.videoWidth}x${v.videoHeight} paused ${v.paused} ready ${v.readyState} ` +
			`tracks ${v.srcObject?.getTracks().map((t) => `${t.kind}:${t.readyState}:${t.muted ? 'muted' : 'live'}`).join(',')}`));
		for (const line of videos)
			console.log(`# video ${name} ${line}`);
	}
}

const browser = await chromium.launch({
	executablePath,
	headless: true,
	timeout: WAIT_MS,
	args: [
		'--use-fake-device-for-media-stream',
		'--use-fake-ui-for-media-stream',
		'--allow-loopback-in-peer-connection',
		'--disable-features=WebRtcHideLocalIpsWithMdns',
		'--no-sandbox',
		'--disable-gpu',
		'--disable-background-networking',
		'--disable-component-update',
		'--disable-sync',
		'--no-first-run',
	],
});
console.log(`# ${executablePath} ${browser.version()}`);

try {
	const hall = await openPage(browser, 'hall', 'hall.html', staffToken, session);
	const bp = await openPage(browser, 'bridge-point', 'bridge-point.html', operatorToken, session);

	await check('the token leaves the address bar and fills the form', async () => {
		for (const page of [hall, bp]) {
			if (page.url().includes('token='))
				throw new Error(`the address still holds the token: ${page.url().replace(/token=[^&]*/, 'token=…')}`);
			if ((await page.inputValue('#token')) === '')
				throw new Error('the token field is empty');
			if ((await page.inputValue('#session')) !== session)
				throw new Error('the session field is not filled');
		}
	});

	await check('the client module reads ice_servers of both shapes', async () => {
		const got = await hall.evaluate(async () => {
			const m = await import('/web/civic-bridge-client.js');
			return {
				servers: m.toIceServers(['stun:127.0.0.1:3478', { urls: ['turn:h:3478'], username: 'u', credential: 'c' }, '', 7, {}, null]),
			};
		});
		const want = JSON.stringify([{ urls: 'stun:127.0.0.1:3478' }, { urls: ['turn:h:3478'], username: 'u', credential: 'c' }]);
		if (JSON.stringify(got.servers) !== want)
			throw new Error(`toIceServers: ${JSON.stringify(got.servers)}`);
	});

	// keyboard only: focus Join and press Enter on the hall; click on the bridge point
	await hall.focus('#join');
	await hall.keyboard.press('Enter');
	await bp.click('#join');

	await check('both pages connect to the daemon', async () => {
		await waitFor(hall, '#connection[data-state="open"]');
		await waitFor(bp, '#connection[data-state="open"]');
	});
	await check('the hall publishes: its RTCPeerConnection is connected', async () => {
		await waitFor(hall, '#local-tile .state[data-state="connected"]');
	});
	await check('the bridge point publishes: its RTCPeerConnection is connected', async () => {
		await waitFor(bp, '#local-tile .state[data-state="connected"]');
	});
	await check(`the hall receives ${bridgePoint}: connected`, async () => {
		await waitFor(hall, `#remote figure[data-slot="${bridgePoint}"] .state[data-state="connected"]`);
	});
	await check('the bridge point receives the hall: connected', async () => {
		await waitFor(bp, '#remote figure[data-slot="hall"] .state[data-state="connected"]');
	});
	await check('the daemon\'s STUN and TURN servers (with credentials) reach the peer connections', async () => {
		for (const page of [hall, bp]) {
			const servers = await page.evaluate(() => {
				const client = window.civicBridgeTest.client;
				return client.handles.map((h) => client.peerConnection(h)?.getConfiguration().iceServers ?? []);
			});
			for (const list of servers) {
				const urls = list.flatMap((s) => [].concat(s.urls));
				const turn = list.find((s) => [].concat(s.urls).some((u) => u.startsWith('turn:')));
				if (!urls.includes('stun:127.0.0.1:3478') || !turn?.username || !turn?.credential)
					throw new Error(`iceServers: ${JSON.stringify(list.map((s) => s.urls))}`);
			}
		}
	});
	await check('the hall and the bridge point subscribe to the floor', async () => {
		await waitFor(hall, '#remote figure[data-slot="floor"][data-handle]');
		await waitFor(bp, '#remote figure[data-slot="floor"][data-handle]');
	});
	await check(`the hall decodes frames from ${bridgePoint}`, () => receivesVideo(hall, bridgePoint));
	await check('the bridge point decodes frames from the hall', () => receivesVideo(bp, 'hall'));
	if (failures() > 0)
		await reportStats({ hall, 'bridge-point': bp });
	await check('no error is shown on either page', async () => {
		for (const page of [hall, bp]) {
			if (await page.isVisible('#error'))
				throw new Error(`error shown: ${await page.textContent('#error')}`);
		}
	});
	await check(`the hall gives the floor to ${bridgePoint}; the bridge point sees it there`, async () => {
		await hall.evaluate(([s, id]) => window.civicBridgeTest.client.setFloor(Number(s), id), [session, bridgePoint]);
		await receivesVideo(bp, 'floor');
		await receivesVideo(hall, 'floor');
	});
	await check('the bridge point\'s WebSocket drops: it reconnects, publishes again and receives again', async () => {
		const tile = `#remote figure[data-slot="${bridgePoint}"]`;
		const joins = Number(await hall.getAttribute(tile, 'data-publisher-joins') ?? 0);
		await bp.evaluate(() => window.civicBridgeTest.client._ws.close(4000, 'test: connection lost'));
		await waitFor(bp, '#connection[data-state="reconnecting"]');
		await waitFor(bp, '#connection[data-state="open"]');
		// the daemon tells staff the bridge point joined again (a new offer)
		await waitFor(hall, `${tile}[data-publisher-joins="${joins + 1}"]`);
		await waitFor(bp, '#local-tile .state[data-state="connected"]');
		await receivesVideo(hall, bridgePoint);
		await receivesVideo(bp, 'hall');
	});
	if (failures() > 0)
		await reportStats({ hall, 'bridge-point': bp });
	await hall.screenshot({ path: join(artifacts, 'hall.png'), fullPage: true });
	await bp.screenshot({ path: join(artifacts, 'bridge-point.png'), fullPage: true });

	await check('a wrong token shows "unauthorized"', async () => {
		const page = await openPage(browser, 'wrong-token', 'hall.html', 'cbt_' + 'A'.repeat(43), session);
		await page.click('#join');
		await waitFor(page, '#error[data-code="unauthenticated"]');
		const text = await page.textContent('#error');
		if (!(await page.isVisible('#error')) || !text.includes('unauthorized'))
			throw new Error(`the page shows: ${text}`);
		if (!(await page.isEnabled('#join')))
			throw new Error('Join stays disabled after the refusal');
		await page.screenshot({ path: join(artifacts, 'unauthorized.png'), fullPage: true });
	});
	await check('a session that is not live is named in the error', async () => {
		const page = await openPage(browser, 'not-live', 'bridge-point.html', operatorToken, idleSession);
		await page.click('#join');
		await waitFor(page, '#error[data-code="conflict"]');
		const text = await page.textContent('#error');
		if (!text.includes('only while live'))
			throw new Error(`the page shows: ${text}`);
		await page.screenshot({ path: join(artifacts, 'not-live.png'), fullPage: true });
	});
	await check('the hall still receives the bridge point after the refusals', () => receivesVideo(hall, bridgePoint));
	await check('no console errors on any page', async () => {
		if (consoleErrors.length > 0)
			throw new Error(consoleErrors.join('\n'));
	});
} catch (e) {
	stoppedEarly(e);
} finally {
	await browser.close();
}

finish(artifacts);
