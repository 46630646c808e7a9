// The staff console in Chromium against a real civic-bridged (started by
// tests/browser/test-browser.c, test /civic-bridge/browser/console, which
// passes the daemon's URL, the tokens, an open session and a bridge point in
// the environment). The operator joins from the bridge-point page and a
// citizen registers and joins from the waiting room; every staff action is
// done with the console's buttons and checked both on the pages and
// through the daemon's API.
//
// Prints TAP and exits 0 only when every check passed. Screenshots go to
// $CB_BROWSER_ARTIFACTS.
import { join } from 'node:path';

import { WAIT_MS, check, expect, finish, loadChromium, need, stoppedEarly } from './tap.mjs';



const url = need('CB_URL');
const staffToken = need('CB_STAFF_TOKEN');
const expiredToken = need('CB_EXPIRED_TOKEN');
const operatorToken = need('CB_OPERATOR_TOKEN');
const session = Number(need('CB_SESSION_ID'));
const laterSession = Number(need('CB_LATER_SESSION_ID'));
const bpId = Number(need('CB_BRIDGE_POINT_ID'));
const bp = `bp-${bpId}`;
const artifacts = need('CB_BROWSER_ARTIFACTS');
const { chromium, executablePath } = await loadChromium(artifacts);

// the browser logs a refused request as a console error: those a step
// provokes on purpose (a wrong token's 401, the recording routes' 404) are
// allowed while it runs, and only those
const consoleErrors = [];
let allowed = [];
function watchConsole(page, name) {
	page.on('console', (message) => {
		console.log(`# [${name} ${message.type()}] ${message.text()}`);
		if (message.type() === 'error' && !allowed.some((re) => re.test(message.text())))
			consoleErrors.push(`${name}: ${message.text()}`);
	});
	page.on('pageerror', (error) => {
		console.log(`# [${name} pageerror] ${error.message}`);
		consoleErrors.push(`${name}: ${error.message}`);
	});
}

async function newPage(browser, name, options = {}) {
	// staff sit in the office: "today" on the page is the office's day
	const context = await browser.newContext({ viewport: options.viewport ?? { width: 1200, height: 900 }, timezoneId: 'Asia/Ho_Chi_Minh' });
	const page = await context.newPage();
	page.setDefaultTimeout(WAIT_MS);
	watchConsole(page, name);
	return page;
}

async function waitFor(page, selector, state = 'attached') {
	await page.locator(selector).first().waitFor({ state, timeout: WAIT_MS });
}

async function api(method, path, body, token = staffToken) {
	const response = await fetch(`${url}/api/v1${path}`, {
		method,
		headers: { ...(token ? { Authorization: `Bearer ${token}` } : {}), ...(body ? { 'Content-Type': 'application/json' } : {}) },
		body: body ? JSON.stringify(body) : undefined,
	});
	const data = await response.json().catch(() => null);
	if (!response.ok)
		throw new Error(`${method} ${path}: ${response.status} ${JSON.stringify(data)}`);
	return data;
}

async function ticketState(id) {
	return (await api('GET', `/tickets/${id}`)).state;
}

async function until(fn, what) {
	const deadline = Date.now() + WAIT_MS;
	for (;;) {
		const value = await fn();
		if (value)
			return value;
		if (Date.now() > deadline)
			throw new Error(`timed out waiting for ${what}`);
		await new Promise((resolve) => setTimeout(resolve, 200));
	}
}

// the console's video of @slot has a picture and its decoded frames grow
async function consoleReceives(page, slot) {
	await page.waitForFunction((s) => {
		const video = document.querySelector(`#grid video[data-slot="${s}"]`);
		return video && video.videoWidth > 0 && video.videoHeight > 0;
	}, slot, { timeout: WAIT_MS });
	const first = await page.evaluate((s) => window.civicBridgeConsole.framesDecoded(s), slot);
	await page.waitForFunction(async ([s, before]) => (await window.civicBridgeConsole.framesDecoded(s)) > before + 5,
		[slot, first], { timeout: WAIT_MS, polling: 250 });
}

async function alertText(page) {
	await waitFor(page, '#error', 'visible');
	return (await page.textContent('#error')).trim();
}

const row = (id) => `#queue tr[data-ticket-id="${id}"]`;
const peerRow = (id) => `#peers tr[data-peer-id="${id}"]`;

async function ticketAction(page, id, action) {
	await page.click(`${row(id)} button[data-action="${action}"]`);
}

async function submitDialog(page, fields) {
	await waitFor(page, '#action-dialog[open]');
	for (const [name, value] of Object.entries(fields)) {
		const selector = `#field-${name}`;
		if (await page.locator(selector).evaluate((e) => e.tagName === 'SELECT'))
			await page.selectOption(selector, value);
		else
			await page.fill(selector, String(value));
	}
	await page.click('#action-submit');
	await page.locator('#action-dialog').waitFor({ state: 'hidden', timeout: WAIT_MS });
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
		'--autoplay-policy=no-user-gesture-required',
		'--no-sandbox',
		'--disable-gpu',
		'--disable-background-networking',
		'--disable-component-update',
		'--disable-sync',
		'--no-first-run',
	],
});
console.log(`# ${executablePath} ${browser.version()}`);

const VI_UNAUTHENTICATED = 'Mã truy cập không đúng hoặc đã hết hạn';

try {
	await check('the index links the console, the bridge-point page, the waiting room and the test pages, in Vietnamese', async () => {
		const page = await newPage(browser, 'index');
		await page.goto(`${url}/web/`);
		expect(await page.getAttribute('html', 'lang') === 'vi', 'the index is not in Vietnamese');
		for (const href of ['console/', 'bridge-point/', 'waiting-room/', 'test/hall.html', 'test/bridge-point.html'])
			await waitFor(page, `a[href="${href}"]`);
		expect((await page.textContent('#link-console')).includes('Bàn điều hành'), 'no Vietnamese link text');
		await page.click('#lang');
		expect(await page.getAttribute('html', 'lang') === 'en', 'the index did not switch to English');
		expect((await page.textContent('#link-console')).includes('console'), 'no English link text');
		await page.screenshot({ path: join(artifacts, 'index-en.png'), fullPage: true });
		await page.context().close();
	});

	await check('a wrong token and an expired one: a plain message in Vietnamese, the form stays', async () => {
		allowed = [/status of 401/];
		for (const [name, token] of [['wrong', 'cbt_' + 'A'.repeat(43)], ['expired', expiredToken]]) {
			const page = await newPage(browser, `${name}-token`);
			await page.goto(`${url}/web/console/`);
			// from the keyboard: the field, then Enter
			await page.focus('#token');
			await page.keyboard.type(token);
			await page.keyboard.press('Enter');
			const text = await alertText(page);
			expect(text.includes(VI_UNAUTHENTICATED), `the page says: ${text}`);
			expect(await page.getAttribute('#error', 'data-code') === 'unauthenticated', 'no code on the alert');
			expect(await page.isHidden('#work'), 'the console shows after a refused token');
			expect(await page.isEnabled('#sign-in'), 'sign-in stays disabled');
			await page.screenshot({ path: join(artifacts, `console-${name}-token.png`), fullPage: true });
			// the message follows a switch of language, and back
			await page.click('#lang');
			expect((await alertText(page)).includes('The access code is wrong or has expired'), `en: ${await alertText(page)}`);
			await page.click('#lang');
			expect((await alertText(page)).includes(VI_UNAUTHENTICATED), `back to vi: ${await alertText(page)}`);
			await page.context().close();
		}
		allowed = [];
	});

	await check('an operator\'s token is refused with a plain message', async () => {
		const page = await newPage(browser, 'operator-token');
		await page.goto(`${url}/web/console/#token=${encodeURIComponent(operatorToken)}`);
		const text = await alertText(page);
		expect(text.includes('không phải của cán bộ'), `the page says: ${text}`);
		expect(await page.isHidden('#work'), 'the console shows for an operator');
		await page.context().close();
	});

	const consolePage = await newPage(browser, 'console');
	const c = consolePage;
	await c.goto(`${url}/web/console/#token=${encodeURIComponent(staffToken)}`);

	await check('staff sign in with #token=: the token leaves the address bar, stays in sessionStorage only', async () => {
		await waitFor(c, '#work', 'visible');
		expect(!c.url().includes('token='), 'the address still holds the token');
		const stored = await c.evaluate(() => [sessionStorage.getItem('civic-bridge.staff-token'), JSON.stringify(localStorage)]);
		expect(stored[0] === staffToken, 'the token is not in sessionStorage');
		expect(!stored[1].includes(staffToken), 'the token is in localStorage');
		await waitFor(c, '#connection[data-state="open"]');
	});

	await check('the page is in Vietnamese by default', async () => {
		expect(await c.getAttribute('html', 'lang') === 'vi', 'html lang is not vi');
		expect((await c.textContent('#queue-heading')).trim() === 'Hàng chờ', 'the queue heading is not Vietnamese');
		expect((await c.textContent('#lang')).trim() === 'English', 'the switch does not offer English');
	});

	await check('a scheduled session is opened, then cancelled with a reason, from the console', async () => {
		const sessionRow = `#sessions tr[data-session-id="${laterSession}"]`;
		await waitFor(c, `${sessionRow}[data-state="scheduled"]`);
		await c.click(`${sessionRow} button[data-action="open"]`);
		await waitFor(c, `${sessionRow}[data-state="open"]`);
		await c.click(`${sessionRow} button[data-action="cancel"]`);
		await submitDialog(c, { reason: 'Trùng lịch họp' });
		await waitFor(c, `${sessionRow}[data-state="cancelled"]`);
		const answer = await api('GET', `/sessions/${laterSession}`);
		expect(answer.state === 'cancelled' && answer.cancel_reason === 'Trùng lịch họp', `the daemon has ${answer.state}, ${answer.cancel_reason}`);
	});

	await check('an occurrence of a series is moved, another cancelled, from the console', async () => {
		const { items } = await api('GET', '/sessions');
		const [first, second] = items.filter((x) => x.series_id && x.title === 'Tiếp định kỳ')
			.sort((a, b) => a.starts_at.localeCompare(b.starts_at));
		expect(first && second, `the series' sessions: ${JSON.stringify(items.map((x) => [x.id, x.title, x.series_id]))}`);
		const firstRow = `#sessions tr[data-session-id="${first.id}"]`;
		await waitFor(c, `${firstRow}[data-state="scheduled"]`);
		// one hour later, typed as a local time in the dialog
		const later = new Date(new Date(first.starts_at).getTime() + 3600 * 1000);
		const local = await c.evaluate((ms) => {
			const d = new Date(ms);
			const p = (x) => String(x).padStart(2, '0');
			return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
		}, later.getTime());
		await c.click(`${firstRow} button[data-action="move"]`);
		await submitDialog(c, { starts_at: local, reason: 'Lãnh đạo bận họp' });
		await until(async () => Date.parse((await api('GET', `/sessions/${first.id}`)).starts_at) === later.getTime(), 'the moved start');
		await c.waitForFunction(([sel, text]) => document.querySelector(sel)?.textContent.includes(text),
			[`${firstRow} td`, await c.evaluate((ms) => new Date(ms).toLocaleString('vi-VN', { hour: '2-digit', minute: '2-digit' }), later.getTime())], { timeout: WAIT_MS });
		const secondRow = `#sessions tr[data-session-id="${second.id}"]`;
		await c.click(`${secondRow} button[data-action="cancel"]`);
		await submitDialog(c, { reason: 'Nghỉ lễ' });
		await waitFor(c, `${secondRow}[data-state="cancelled"]`);
		const occurrences = await api('GET', `/series/${second.series_id}/occurrences`);
		const states = occurrences.items.map((o) => o.state).sort().join(',');
		expect(states === 'cancelled,moved', `the occurrences are ${states}`);
	});

	await check('the open session is listed and started from the console', async () => {
		const sessionRow = `#sessions tr[data-session-id="${session}"]`;
		await waitFor(c, `${sessionRow}[data-state="open"]`);
		await c.click(`${sessionRow} button[data-action="start"]`);
		await waitFor(c, `${sessionRow}[data-state="live"]`);
		expect((await api('GET', `/sessions/${session}`)).state === 'live', 'the daemon does not say live');
		await waitFor(c, `${sessionRow}.chosen`);
		await waitFor(c, `${sessionRow} button[data-action="end"]`);
	});

	await check('the console joins as the hall: its camera in the grid, its peer connected', async () => {
		await c.click('#join-hall');
		await waitFor(c, '#grid video[data-slot="hall"]');
		await waitFor(c, `${peerRow('hall')}[data-state="connected"]`);
		await waitFor(c, '#grid video[data-slot="floor"]');
	});

	const bpPage = await newPage(browser, 'bridge-point');
	await bpPage.goto(`${url}/web/bridge-point/#token=${encodeURIComponent(operatorToken)}`);
	await check('the operator signs in on the bridge-point page and joins the live session', async () => {
		await waitFor(bpPage, '#desk', 'visible');
		await waitFor(bpPage, '#connection[data-state="open"]');
		expect(Number(await bpPage.inputValue('#session')) === session, `session ${await bpPage.inputValue('#session')}`);
		await bpPage.click('#join');
	});

	await check(`the bridge point ${bp} appears in the console: connected, with its quality`, async () => {
		await waitFor(c, `${peerRow(bp)}[data-state="connected"]`);
		await c.waitForFunction((sel) => /\d/.test(document.querySelector(sel)?.textContent ?? ''),
			`${peerRow(bp)} .quality`, { timeout: WAIT_MS });
	});
	await check('the console decodes the bridge point\'s video', () => consoleReceives(c, bp));
	await check('the bridge point decodes the hall\'s camera', async () => {
		await bpPage.waitForFunction(() => document.querySelector('video[data-slot="hall"]')?.videoWidth > 0, null, { timeout: WAIT_MS });
		await bpPage.waitForFunction(async () => (await window.civicBridgePoint.live.framesDecoded('hall')) > 5, null, { timeout: WAIT_MS, polling: 250 });
	});

	const t1 = await api('POST', '/tickets', { session_id: session, category: 'complaint', summary: 'Tranh chấp đất đai', persons: 1, citizen_name: 'Nguyễn Văn An', bridge_point_id: bpId, channel: 'walk-in' });
	const t2 = await api('POST', '/tickets', { session_id: session, category: 'reflection', summary: 'Đèn đường hỏng', persons: 1, citizen_name: 'Trần Thị Bình' });
	const t3 = await api('POST', '/tickets', { session_id: session, category: 'complaint', summary: 'Giấy phép xây dựng', persons: 6, citizen_name: 'Lê Văn Cường', representatives: ['Lê Văn Cường'] });

	await check('tickets registered through the API appear in the queue', async () => {
		for (const t of [t1, t2, t3])
			await waitFor(c, `${row(t.id)}[data-state="waiting"]`);
	});

	await check('the filters: category, bridge point, state', async () => {
		await c.selectOption('#filter-category', 'reflection');
		await waitFor(c, row(t2.id));
		expect(await c.locator('#queue tbody tr').count() === 1, 'the category filter shows other tickets');
		await c.selectOption('#filter-category', '');
		await c.selectOption('#filter-bridge-point', String(bpId));
		await waitFor(c, row(t1.id));
		expect(await c.locator('#queue tbody tr').count() === 1, 'the bridge point filter shows other tickets');
		await c.selectOption('#filter-bridge-point', 'hall');
		expect(await c.locator('#queue tbody tr').count() === 2, 'the hall filter is wrong');
		await c.selectOption('#filter-bridge-point', '');
		await c.selectOption('#filter-state', 'called');
		expect(await c.locator('#queue tbody tr').count() === 0, 'the state filter shows waiting tickets');
		await c.selectOption('#filter-state', '');
		expect(await c.locator('#queue tbody tr').count() === 3, 'the queue is not whole again');
	});

	await check('move: the third ticket to the first place, with a reason', async () => {
		await ticketAction(c, t3.id, 'move');
		await submitDialog(c, { position: 1, reason: 'Đoàn đông người' });
		await until(async () => (await api('GET', `/tickets/${t3.id}`)).position === 1, 'position 1');
		await c.waitForFunction((id) => document.querySelector('#queue tbody tr')?.dataset.ticketId === String(id), t3.id, { timeout: WAIT_MS });
	});

	await check('call, admit and finish with handling, follow-up and notes from the console', async () => {
		await ticketAction(c, t1.id, 'call');
		await waitFor(c, `${row(t1.id)}[data-state="called"]`);
		expect(await ticketState(t1.id) === 'called', 'the daemon does not say called');
		await ticketAction(c, t1.id, 'admit');
		await waitFor(c, `${row(t1.id)}[data-state="admitted"]`);
		expect(await ticketState(t1.id) === 'admitted', 'the daemon does not say admitted');
		await ticketAction(c, t1.id, 'finish');
		await submitDialog(c, { handling: 'guided', follow_up: 'Hẹn trả lời sau 10 ngày', notes: 'Đã hướng dẫn nộp đơn' });
		await c.locator(row(t1.id)).waitFor({ state: 'detached', timeout: WAIT_MS });
		const done = await api('GET', `/tickets/${t1.id}`);
		expect(done.state === 'done' && done.handling === 'guided' && done.follow_up === 'Hẹn trả lời sau 10 ngày' && done.notes === 'Đã hướng dẫn nộp đơn',
			`the daemon has ${JSON.stringify({ state: done.state, handling: done.handling, follow_up: done.follow_up, notes: done.notes })}`);
		await c.selectOption('#filter-state', 'done');
		await waitFor(c, `${row(t1.id)}[data-state="done"]`);
		await c.selectOption('#filter-state', '');
	});

	await check('a finish without a handling is not sent', async () => {
		await ticketAction(c, t3.id, 'call');
		await ticketAction(c, t3.id, 'admit');
		await waitFor(c, `${row(t3.id)}[data-state="admitted"]`);
		await ticketAction(c, t3.id, 'finish');
		await waitFor(c, '#action-dialog[open]');
		await c.click('#action-submit');
		expect(await c.locator('#action-dialog[open]').count() === 1, 'the dialog closed without a handling');
		const said = await c.locator('#field-handling').evaluate((e) => e.validationMessage);
		await c.click('#action-cancel');
		expect(said.startsWith('Hãy điền mục "Hướng xử lý'), `the browser's own words, not the page's: ${said}`);
		expect(await ticketState(t3.id) === 'admitted', 'the ticket changed');
	});

	await check('refuse with a reason; defer', async () => {
		await ticketAction(c, t3.id, 'refuse');
		await submitDialog(c, { reason: 'not-competent', notes: 'Thuộc thẩm quyền của toà án' });
		await until(async () => (await ticketState(t3.id)) === 'refused', 'refused');
		expect((await api('GET', `/tickets/${t3.id}`)).refuse_reason === 'not-competent', 'the reason did not reach the daemon');
		await ticketAction(c, t2.id, 'defer');
		await until(async () => (await ticketState(t2.id)) === 'deferred', 'deferred');
		await c.locator(row(t2.id)).waitFor({ state: 'detached', timeout: WAIT_MS });
	});

	await check('today\'s figures count the finished and the refused visits', async () => {
		await c.waitForFunction(() => Number(document.querySelector('#figures dd[data-figure="visits"]')?.textContent) >= 2, null, { timeout: WAIT_MS });
		const summary = await api('GET', `/reports/summary`);
		const shown = Number(await c.textContent('#figures dd[data-figure="visits"]'));
		expect(shown === summary.visits, `the console shows ${shown}, the daemon ${summary.visits}`);
	});

	await check('give the floor to the bridge point and take it back', async () => {
		await c.click(`${peerRow(bp)} button[data-action="floor"]`);
		await c.waitForFunction(() => document.querySelector('#floor-holder').textContent.includes('Đông Anh'), null, { timeout: WAIT_MS });
		await waitFor(c, `${peerRow(bp)} button[data-action="floor"][aria-pressed="true"]`);
		await consoleReceives(c, 'floor');
		await c.click('#take-floor');
		await c.waitForFunction(() => document.querySelector('#floor-holder').textContent === '—', null, { timeout: WAIT_MS });
	});

	await check('mute the bridge point\'s sound and picture, and unmute', async () => {
		await c.click(`${peerRow(bp)} button[data-action="mute-audio"]`);
		await waitFor(c, `${peerRow(bp)} button[data-action="mute-audio"][aria-pressed="true"]`);
		await c.click(`${peerRow(bp)} button[data-action="mute-video"]`);
		await waitFor(c, `${peerRow(bp)} button[data-action="mute-video"][aria-pressed="true"]`);
		await c.click(`${peerRow(bp)} button[data-action="mute-audio"]`);
		await c.click(`${peerRow(bp)} button[data-action="mute-video"]`);
		await waitFor(c, `${peerRow(bp)} button[data-action="mute-video"][aria-pressed="false"]`);
		await waitFor(c, `${peerRow(bp)} button[data-action="mute-audio"][aria-pressed="false"]`);
	});

	// the citizen registers on the waiting room; staff call and admit from
	// the console; each sees the other
	const citizenPage = await newPage(browser, 'waiting-room');
	await citizenPage.goto(`${url}/web/waiting-room/`);
	const citizen = {};

	await check('a citizen registers on the waiting room and appears in the console\'s queue', async () => {
		await citizenPage.fill('#summary', 'Kiến nghị về trường học');
		await citizenPage.click('#register');
		await waitFor(citizenPage, '#ticket-view:not([hidden]) #ticket-state[data-state="waiting"]');
		citizen.id = Number((await citizenPage.textContent('#ticket-number')).replace('#', ''));
		expect(citizen.id > 0, 'no ticket number');
		await waitFor(c, `${row(citizen.id)}[data-state="waiting"]`);
	});

	await check('staff call and admit the citizen from the console; the citizen\'s video appears in the console, the hall\'s on the citizen\'s page', async () => {
		await citizenPage.click('h1'); // a gesture: the page may ring and play sound
		await ticketAction(c, citizen.id, 'call');
		await waitFor(c, `${row(citizen.id)}[data-state="called"]`);
		await waitFor(citizenPage, '#ticket-state[data-state="called"]');
		await waitFor(citizenPage, '#join-now', 'visible');
		await citizenPage.click('#join-now');
		await ticketAction(c, citizen.id, 'admit');
		await waitFor(c, `${row(citizen.id)}[data-state="admitted"]`);
		await waitFor(citizenPage, '#ticket-state[data-state="admitted"]');
		await waitFor(c, `${peerRow('citizen')}[data-state="connected"]`);
		await consoleReceives(c, 'citizen');
		await citizenPage.waitForFunction(() => document.querySelector('video[data-slot="hall"]')?.videoWidth > 0, null, { timeout: WAIT_MS });
		await citizenPage.waitForFunction(async () => (await window.civicBridgeWaitingRoom.media.framesDecoded()) > 5, null, { timeout: WAIT_MS, polling: 250 });
		await citizenPage.screenshot({ path: join(artifacts, 'console-citizen-admitted.png'), fullPage: true });
	});

	await check('the recording buttons: on, or a plain message while the server cannot record', async () => {
		allowed = [/status of 40[45]/];
		await c.click('#recording-start');
		await c.waitForFunction(() => document.querySelector('#recording').dataset.state === 'on' ||
			(!document.querySelector('#error').hidden && document.querySelector('#error').dataset.code === 'recording'), null, { timeout: WAIT_MS });
		if (await c.getAttribute('#recording', 'data-state') === 'on') {
			await c.click('#recording-stop');
			await waitFor(c, '#recording[data-state="off"]');
		} else {
			expect((await c.textContent('#error')).includes('chưa có chức năng ghi hình'), 'no plain message');
		}
		allowed = [];
	});

	await c.screenshot({ path: join(artifacts, 'console-vi.png'), fullPage: true });

	await check('the WebSocket drops: a plain message, then it reconnects and the message goes', async () => {
		await c.evaluate(() => window.civicBridgeConsole.client._ws.close(4000, 'test: connection lost'));
		const text = await alertText(c);
		expect(text.includes('Mất kết nối với máy chủ'), `the page says: ${text}`);
		expect(await c.getAttribute('#error', 'data-code') === 'closed', 'not the connection message');
		await c.screenshot({ path: join(artifacts, 'console-connection-lost.png'), fullPage: true });
		await waitFor(c, '#connection[data-state="open"]');
		await waitFor(c, '#error', 'hidden');
		// live again: the daemon's events arrive and the video comes back
		await waitFor(c, `${row(citizen.id)}[data-state="admitted"]`);
		await consoleReceives(c, bp);
	});

	await check('the server unreachable (every request and WebSocket refused): plain messages, then back by itself', async () => {
		// what the last reconnection read again is in: the next failures are this step's
		await c.waitForLoadState('networkidle');
		allowed = [/net::ERR_FAILED/];
		await c.route('**/api/v1/**', (route) => route.abort('failed'));
		// no way to take a WebSocket route away: it refuses while `down`, then passes through
		let down = true;
		await c.routeWebSocket(/\/api\/v1\/ws/, (ws) => {
			if (down)
				ws.close({ code: 4000, reason: 'test: no server' });
			else
				ws.connectToServer();
		});
		try {
			await c.evaluate(() => window.civicBridgeConsole.client._ws.close(4000, 'test: the daemon went away'));
			const lost = await alertText(c);
			expect(lost.includes('Mất kết nối với máy chủ'), `the page says: ${lost}`);
			await waitFor(c, '#connection[data-state="reconnecting"]');
			await c.selectOption('#filter-state', 'done');
			await c.waitForFunction(() => document.querySelector('#error').dataset.code === 'network', null, { timeout: WAIT_MS });
			const text = await c.textContent('#error');
			expect(text.includes('Không kết nối được với máy chủ'), `the page says: ${text}`);
			await c.screenshot({ path: join(artifacts, 'console-server-unreachable.png'), fullPage: true });
		} finally {
			// the server back, whatever happened above: its HTTP side first, so
			// that what the page reads again on reconnecting gets through
			await c.unrouteAll({ behavior: 'ignoreErrors' });
			down = false;
		}
		await waitFor(c, '#connection[data-state="open"]');
		await waitFor(c, '#error', 'hidden');
		await c.selectOption('#filter-state', '');
		try {
			await waitFor(c, `${row(citizen.id)}[data-state="admitted"]`);
		} catch (e) {
			console.log(`# the queue shown: ${await c.innerHTML('#queue tbody')} error: ${await c.textContent('#error')} ticket: ${JSON.stringify(await api('GET', `/tickets/${citizen.id}`))}`);
			throw e;
		}
		allowed = [];
	});

	await check('remove the bridge point: it leaves the room, its page no longer publishes', async () => {
		await c.click(`${peerRow(bp)} button[data-action="remove"]`);
		await waitFor(c, `${peerRow(bp)}[data-state="left"]`);
		await bpPage.waitForFunction(() => !window.civicBridgePoint.client.handles.includes('camera'), null, { timeout: WAIT_MS });
		await waitFor(bpPage, '#join', 'visible'); // the page left the room and offers to join again
		await c.locator(`#grid video[data-slot="${bp}"]`).waitFor({ state: 'detached', timeout: WAIT_MS });
	});

	await check('English after switching, the live parts too', async () => {
		await c.click('#lang');
		expect(await c.getAttribute('html', 'lang') === 'en', 'html lang is not en');
		expect((await c.textContent('#queue-heading')).trim() === 'Queue', 'the queue heading is not English');
		expect((await c.textContent(`#sessions tr[data-session-id="${session}"] .state`)).trim() === 'Live', 'the session state is not English');
		expect((await c.textContent(`${row(citizen.id)} button[data-action="finish"]`)).trim() === 'Finish', 'the queue buttons are not English');
		expect((await c.textContent('#grid figure[data-slot="citizen"] .state')).trim() === 'Connected', 'the grid\'s captions are not English');
		await c.screenshot({ path: join(artifacts, 'console-en.png'), fullPage: true });
		await c.setViewportSize({ width: 360, height: 800 });
		await c.screenshot({ path: join(artifacts, 'console-en-360.png'), fullPage: true });
		const wide = await c.evaluate(() => document.documentElement.scrollWidth);
		expect(wide <= 370, `the page is ${wide} px wide at 360`);
		await c.setViewportSize({ width: 1200, height: 900 });
	});

	await check('a second console cannot be the hall too: a plain message', async () => {
		const page = await newPage(browser, 'second-hall');
		await page.goto(`${url}/web/console/#token=${encodeURIComponent(staffToken)}`);
		await waitFor(page, '#join-hall', 'visible');
		await page.click('#join-hall');
		const text = await alertText(page);
		expect(text.includes('Một máy khác đang là hội trường'), `the page says: ${text}`);
		expect(await page.isVisible('#join-viewer'), 'watching is not offered');
		await page.context().close();
	});

	await check('a refused camera: a plain message, watching still works', async () => {
		const page = await newPage(browser, 'no-camera');
		await page.addInitScript(() => {
			navigator.mediaDevices.getUserMedia = () => Promise.reject(new DOMException('refused', 'NotAllowedError'));
		});
		await page.goto(`${url}/web/console/#token=${encodeURIComponent(staffToken)}`);
		await waitFor(page, '#join-hall', 'visible');
		await page.click('#join-hall');
		const text = await alertText(page);
		expect(text.includes('không được phép dùng camera'), `the page says: ${text}`);
		await page.click('#join-viewer');
		await waitFor(page, '#error', 'hidden');
		await page.waitForFunction(() => document.querySelector('#grid video[data-slot="hall"]')?.videoWidth > 0, null, { timeout: WAIT_MS });
		await page.screenshot({ path: join(artifacts, 'console-viewer.png'), fullPage: true });
		await page.context().close();
	});

	await check('the session ends from the console', async () => {
		await c.click(`#sessions tr[data-session-id="${session}"] button[data-action="end"]`);
		await waitFor(c, `#sessions tr[data-session-id="${session}"][data-state="ended"]`);
		expect((await api('GET', `/sessions/${session}`)).state === 'ended', 'the daemon does not say ended');
		await waitFor(c, '#room-idle', 'visible');
	});

	await check('no console errors on any page; no error left shown', async () => {
		expect(consoleErrors.length === 0, consoleErrors.join('\n'));
		expect(await c.isHidden('#error'), `error shown: ${await c.textContent('#error')}`);
	});
} catch (e) {
	stoppedEarly(e);
} finally {
	await browser.close();
}

finish(artifacts);
