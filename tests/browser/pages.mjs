// The citizen's waiting room and the bridge-point page in Chromium, against
// a real civic-bridged (started by tests/browser/test-browser.c, which
// passes the daemon's URL, a staff and an operator token, the bridge point
// and a live session in the environment). Staff's actions (call, admit,
// finish, cancel) go through the REST API; the hall is the hall test page
// (/web/test/hall.html) publishing a fake camera in a second context.
//
// Prints TAP ("ok N - ...", "not ok N - ...") and exits 0 only when every
// check passed. Screenshots go to $CB_BROWSER_ARTIFACTS.
import { join } from 'node:path';

import { WAIT_MS, check, expect, finish, loadChromium, need, stoppedEarly } from './tap.mjs';

const LIVE_MS = 1000; // a change reaches the waiting room within a second


const url = need('CB_URL');
const staffToken = need('CB_STAFF_TOKEN');
const operatorToken = need('CB_OPERATOR_TOKEN');
const session = Number(need('CB_SESSION_ID'));
const idleSession = Number(need('CB_IDLE_SESSION_ID'));
const bridgePoint = `bp-${need('CB_BRIDGE_POINT_ID')}`;
const artifacts = need('CB_BROWSER_ARTIFACTS');
const { chromium, executablePath } = await loadChromium(artifacts);

// the daemon's REST API, as staff (or anyone) would call it
async function api(method, path, token = staffToken, body = undefined) {
	const headers = { Accept: 'application/json' };
	if (token)
		headers.Authorization = `Bearer ${token}`;
	if (body !== undefined)
		headers['Content-Type'] = 'application/json';
	const answer = await fetch(`${url}/api/v1${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
	const data = await answer.json().catch(() => null);
	if (!answer.ok)
		throw new Error(`${method} ${path}: ${answer.status} ${JSON.stringify(data)}`);
	return data;
}

const consoleErrors = [];
function watchConsole(page, name) {
	page.on('console', (message) => {
		// what a page says is part of the test log (the pages never log a token)
		console.log(`# [${name} ${message.type()}] ${message.text()}`);
		if (message.type() === 'error')
			consoleErrors.push(`${name}: ${message.text()}`);
	});
	page.on('pageerror', (error) => consoleErrors.push(`${name}: ${error.message}`));
}

const browser = await chromium.launch({
	executablePath,
	headless: true,
	timeout: WAIT_MS,
	args: [
		// a fake camera and microphone; whether a page may use them is the
		// context's permission (granted, or not: "camera refused")
		'--use-fake-device-for-media-stream',
		'--allow-loopback-in-peer-connection',
		'--disable-features=WebRtcHideLocalIpsWithMdns',
		'--autoplay-policy=user-gesture-required',
		'--no-sandbox',
		'--disable-gpu',
		'--disable-background-networking',
		'--disable-component-update',
		'--disable-sync',
		'--no-first-run',
	],
});
console.log(`# ${executablePath} ${browser.version()}`);

async function newContext(camera = true, width = 1000) {
	const context = await browser.newContext({ viewport: { width, height: 900 } });
	if (camera)
		await context.grantPermissions(['camera', 'microphone'], { origin: url });
	return context;
}

async function openPage(context, name, path) {
	const page = await context.newPage();
	watchConsole(page, name);
	await page.goto(`${url}${path}`);
	await page.locator('body[data-ready="true"]').waitFor({ state: 'attached', timeout: WAIT_MS });
	return page;
}

async function shot(page, name) {
	await page.screenshot({ path: join(artifacts, `${name}.png`), fullPage: true });
}

// the wall-clock time (ms) at which the page's DOM first satisfied
// @condition, seen by a MutationObserver installed before the change: the
// page's own moment, not when a poll from here happened to look
async function armWatch(page, condition) {
	await page.evaluate((source) => {
		const test = new Function(`return (${source})`)();
		window.__cbSeenAt = undefined;
		const look = () => {
			if (window.__cbSeenAt === undefined && test())
				window.__cbSeenAt = Date.now();
		};
		new MutationObserver(look).observe(document.body, { subtree: true, childList: true, attributes: true, characterData: true });
		look();
	}, condition.toString());
}

// after armWatch(): waits for the condition; resolves the milliseconds from @since
async function seenAfter(page, since) {
	await page.waitForFunction(() => window.__cbSeenAt !== undefined, null, { timeout: WAIT_MS, polling: 100 });
	return (await page.evaluate(() => window.__cbSeenAt)) - since;
}

// waits for @fn (in the page) to hold; resolves the milliseconds it took
async function within(page, fn, arg = null, timeout = WAIT_MS) {
	const started = Date.now();
	await page.waitForFunction(fn, arg, { timeout, polling: 50 });
	return Date.now() - started;
}

// frames decoded so far: the waiting room's hall ('room'), or what the
// bridge-point page receives ('hall', 'floor')
async function framesOf(kind) {
	return kind === 'room'
		? window.civicBridgeWaitingRoom.media.framesDecoded()
		: window.civicBridgePoint.live.framesDecoded(kind);
}

// the video has a picture, and its decoded frames keep growing
async function videoDecodes(page, selector, kind) {
	await page.waitForFunction((s) => {
		const video = document.querySelector(s);
		return video && video.videoWidth > 0 && video.videoHeight > 0;
	}, selector, { timeout: WAIT_MS });
	const first = await page.evaluate(framesOf, kind);
	await page.waitForFunction(async ([k, before]) => {
		const frames = k === 'room'
			? await window.civicBridgeWaitingRoom.media.framesDecoded()
			: await window.civicBridgePoint.live.framesDecoded(k);
		return frames > before + 5;
	}, [kind, first], { timeout: WAIT_MS, polling: 250 });
}

// the text of the alert box once it shows, after a switch of language
async function alertAfterSwitch(page, lang) {
	await page.click('#lang');
	expect(await page.getAttribute('html', 'lang') === lang, `html lang is not ${lang}`);
	return page.textContent('#error');
}

// what a screen reader or a keyboard would miss on @page: an input without
// a label, a button without a name, a positive tabindex (every element,
// shown or not: the hidden views are shown later)
async function accessibilityProblems(page) {
	return page.evaluate(() => {
		const problems = [];
		const named = (e) => (e.getAttribute('aria-label') ?? '').trim() !== '' ||
			(e.getAttribute('aria-labelledby') ?? '').split(/\s+/).some((id) => document.getElementById(id)?.textContent.trim());
		const where = (e) => `${e.tagName.toLowerCase()}${e.id ? `#${e.id}` : ''}${e.name ? `[name=${e.name}]` : ''}${e.dataset.action ? `[data-action=${e.dataset.action}]` : ''}`;
		for (const e of document.querySelectorAll('input, select, textarea')) {
			if (e.type !== 'hidden' && e.labels.length === 0 && !named(e))
				problems.push(`${where(e)} has no label`);
		}
		for (const e of document.querySelectorAll('button, [role="button"]')) {
			if (e.textContent.trim() === '' && !named(e) && (e.getAttribute('title') ?? '').trim() === '')
				problems.push(`${where(e)} has no accessible name`);
		}
		for (const e of document.querySelectorAll('[tabindex]')) {
			if (Number(e.getAttribute('tabindex')) > 0)
				problems.push(`${where(e)} has tabindex ${e.getAttribute('tabindex')}`);
		}
		return problems;
	});
}

async function registerOnPage(page, summary) {
	await page.fill('#summary', summary);
	await page.click('#register');
	await page.locator('#ticket-view:not([hidden]) #ticket-state[data-state="waiting"]').waitFor({ timeout: WAIT_MS });
	return Number((await page.textContent('#ticket-number')).replace('#', ''));
}

try {
	// a ticket ahead of the citizen's, registered straight through the API
	const ahead = await api('POST', '/register', null, { category: 'reflection', summary: 'Phản ánh đường hỏng' });
	const citizen = await newContext();
	let room = await openPage(citizen, 'waiting-room', '/web/waiting-room/');
	let mine = 0;

	await check('the waiting room is in Vietnamese by default, with the registration form', async () => {
		expect(await room.getAttribute('html', 'lang') === 'vi', 'html lang is not vi');
		expect(await room.isVisible('#register-form'), 'no registration form');
		expect((await room.textContent('#register')).includes('Lấy số thứ tự'), `button: ${await room.textContent('#register')}`);
		await shot(room, 'waiting-room-register-vi');
	});
	await check('a citizen registers and sees their place in the line', async () => {
		mine = await registerOnPage(room, 'Khiếu nại về việc cấp giấy chứng nhận');
		expect(mine > 0, 'no ticket number');
		await room.locator('#position', { hasText: '2' }).waitFor({ timeout: WAIT_MS });
		expect(!room.url().includes('token='), 'the token is in the address bar');
		const link = await room.inputValue('#ticket-link');
		expect(link.includes(`#ticket=${mine}&token=cbt_`), 'the ticket link lacks the fragment');
		await room.locator('#connection[data-state="open"]').waitFor({ timeout: WAIT_MS });
		await shot(room, 'waiting-room-ticket-vi');
	});
	await check('the place moves within a second when the ticket ahead is cancelled', async () => {
		await armWatch(room, () => document.querySelector('#position').textContent === '1');
		const sent = Date.now();
		await api('POST', `/tickets/${ahead.id}/cancel`);
		const ms = await seenAfter(room, sent);
		console.log(`# position shown ${ms} ms after the cancel was sent`);
		expect(ms <= LIVE_MS, `it took ${ms} ms`);
	});
	await check('closing the tab and coming back resumes the same ticket', async () => {
		await room.close();
		room = await openPage(citizen, 'waiting-room', '/web/waiting-room/');
		await room.locator('#ticket-view:not([hidden]) #position', { hasText: '1' }).waitFor({ timeout: WAIT_MS });
		expect((await room.textContent('#ticket-number')) === `#${mine}`, 'another ticket');
		await room.locator('#connection[data-state="open"]').waitFor({ timeout: WAIT_MS });
	});

	// the hall publishes, as the hall test page does
	const hallContext = await newContext();
	const hall = await hallContext.newPage();
	watchConsole(hall, 'hall');
	await hall.goto(`${url}/web/test/hall.html#token=${encodeURIComponent(staffToken)}&session=${session}`);
	await hall.click('#join');
	await check('the hall test page publishes', async () => {
		await hall.locator('#local-tile .state[data-state="connected"]').waitFor({ timeout: WAIT_MS });
	});

	await check('staff call the ticket: "join now", a countdown and the ring within a second', async () => {
		await room.click('h1'); // a gesture on the resumed page: the ring may play
		await armWatch(room, () => {
			const countdown = Number(document.querySelector('#countdown').dataset.seconds ?? 0);
			return document.querySelector('#ticket-state').dataset.state === 'called' &&
				!document.querySelector('#join-now').hidden && countdown > 60 && countdown <= 120;
		});
		const sent = Date.now();
		await api('POST', `/tickets/${mine}/call`);
		const ms = await seenAfter(room, sent);
		console.log(`# called state shown ${ms} ms after the call was sent`);
		expect(ms <= LIVE_MS, `it took ${ms} ms`);
		expect(await room.getAttribute('#call', 'data-sound') === 'played', `sound: ${await room.getAttribute('#call', 'data-sound')}`);
		const first = Number(await room.getAttribute('#countdown', 'data-seconds'));
		await within(room, (s) => Number(document.querySelector('#countdown').dataset.seconds) < s, first, 5000);
	});
	await check('the camera preview and the microphone\'s level show while called', async () => {
		await within(room, () => document.querySelector('#preview').videoWidth > 0);
		// the fake microphone beeps: its level moves above silence
		await within(room, () => !document.querySelector('#mic').hidden && document.querySelector('#mic-level').value > 0.01);
		await shot(room, 'waiting-room-called-vi');
	});
	await check('after "join now" and admission the citizen decodes the hall\'s video', async () => {
		await room.click('#join-now');
		await api('POST', `/tickets/${mine}/admit`);
		await room.locator('#ticket-state[data-state="admitted"]').waitFor({ timeout: WAIT_MS });
		await videoDecodes(room, 'video[data-slot="hall"]', 'room');
	});
	await check('the hall receives the citizen', async () => {
		await hall.waitForFunction(async () => (await window.civicBridgeTest.framesDecoded('citizen')) > 5, null, { timeout: WAIT_MS, polling: 250 });
		await shot(room, 'waiting-room-admitted-vi');
	});
	await check('staff start recording: the citizen is told at once', async () => {
		expect(await room.isHidden('#recording-notice'), 'a notice before any recording');
		await api('POST', `/sessions/${session}/recording/start`);
		await room.locator('#recording-notice[data-state="on"]').waitFor({ timeout: WAIT_MS });
		expect((await room.textContent('#recording-notice')).includes('đang được ghi hình'), await room.textContent('#recording-notice'));
	});
	await check('English after switching, kept for the next page', async () => {
		await room.click('#lang');
		expect(await room.getAttribute('html', 'lang') === 'en', 'html lang is not en');
		expect((await room.textContent('#ticket-state')) === 'Being received', `state: ${await room.textContent('#ticket-state')}`);
		expect((await room.textContent('#ticket-heading')).includes('Your ticket'), 'heading not English');
		expect((await room.textContent('#media-state')).startsWith('You are in the reception'), await room.textContent('#media-state'));
		await shot(room, 'waiting-room-admitted-en');
		await room.click('#lang');
		expect(await room.getAttribute('html', 'lang') === 'vi', 'not back to Vietnamese');
	});
	await check('staff finish the ticket: a plain message and a way to register again', async () => {
		await api('POST', `/tickets/${mine}/finish`, staffToken, { handling: 'guided' });
		await room.locator('#ticket-state[data-state="done"]').waitFor({ timeout: WAIT_MS });
		expect(await room.isVisible('#ticket-message'), 'no message');
		expect((await room.textContent('#ticket-message')).includes('đã xong'), await room.textContent('#ticket-message'));
		expect(await room.isVisible('#register-again'), 'no way to register again');
		expect(await room.isHidden('#media'), 'the camera is still shown');
	});

	await check('the link of a cancelled ticket shows a plain message', async () => {
		const context = await newContext();
		const page = await openPage(context, 'cancelled-link', `/web/waiting-room/#ticket=${ahead.id}&token=${encodeURIComponent(ahead.token)}`);
		await page.locator('#ticket-state[data-state="cancelled"]').waitFor({ timeout: WAIT_MS });
		expect((await page.textContent('#ticket-message')).includes('đã bị huỷ'), await page.textContent('#ticket-message'));
		expect(await page.isVisible('#register-again'), 'no way to register again');
		expect(!page.url().includes('token='), 'the token stayed in the address bar');
		await shot(page, 'waiting-room-cancelled-vi');
		await page.click('#register-again');
		await page.locator('#register-form').waitFor({ timeout: WAIT_MS });
		await context.close();
	});
	await check('the links of a finished and of a refused ticket show plain messages', async () => {
		const held = await room.evaluate(() => JSON.parse(localStorage.getItem('civic-bridge.ticket')));
		expect(held.id === mine, 'the page keeps another ticket');
		const refused = await api('POST', '/register', null, { category: 'complaint', summary: 'Khiếu nại trùng lặp' });
		await api('POST', `/tickets/${refused.id}/refuse`, staffToken, { reason: 'already-resolved' });
		const context = await newContext();
		for (const [ticket, state, words] of [[held, 'done', 'đã xong'], [refused, 'refused', 'Lý do: vụ việc đã được giải quyết']]) {
			const page = await openPage(context, `${state}-link`, `/web/waiting-room/#ticket=${ticket.id}&token=${encodeURIComponent(ticket.token)}`);
			await page.locator(`#ticket-state[data-state="${state}"]`).waitFor({ timeout: WAIT_MS });
			expect((await page.textContent('#ticket-message')).includes(words), await page.textContent('#ticket-message'));
			expect(await page.isVisible('#register-again'), 'no way to register again');
			await shot(page, `waiting-room-${state}-vi`);
			await page.close();
		}
		await context.close();
	});
	await check('a wrong ticket link says so plainly and offers the form', async () => {
		const context = await newContext();
		const page = await openPage(context, 'wrong-link', `/web/waiting-room/#ticket=${mine}&token=cbt_${'A'.repeat(43)}`);
		await page.locator('#error[data-code="unauthenticated"]').waitFor({ timeout: WAIT_MS });
		expect((await page.textContent('#error')).includes('Đường dẫn số thứ tự này không đúng'), await page.textContent('#error'));
		expect(await page.isVisible('#register-form'), 'no form');
		expect(await page.evaluate(() => localStorage.getItem('civic-bridge.ticket')) === null, 'the wrong token is kept');
		await shot(page, 'waiting-room-wrong-link-vi');
		await context.close();
	});
	await check('the registration form names the field to fix, in Vietnamese and after a switch in English', async () => {
		const context = await newContext();
		const page = await openPage(context, 'form-checks', '/web/waiting-room/');
		// longer than the daemon takes (the textarea's maxlength stops typing, not a script)
		await page.locator('#summary').evaluate((e) => {
			e.value = 'x'.repeat(2001);
		});
		await page.click('#register');
		await page.locator('#error[data-code="invalid_request"]').waitFor({ timeout: WAIT_MS });
		let text = await page.textContent('#error');
		expect(text.includes('"Nội dung tóm tắt" dài quá: tối đa 2000 ký tự'), `vi: ${text}`);
		expect(await page.evaluate(() => document.activeElement.id) === 'summary', 'the summary is not focused');
		await shot(page, 'waiting-room-too-long-vi');
		text = await alertAfterSwitch(page, 'en');
		expect(text.includes('"Summary" is too long: at most 2000 characters'), `en: ${text}`);
		await shot(page, 'waiting-room-too-long-en');
		text = await alertAfterSwitch(page, 'vi');
		expect(text.includes('Nội dung tóm tắt'), `back to vi: ${text}`);
		await page.fill('#summary', 'Phản ánh hợp lệ');
		await page.fill('#persons', '0');
		await page.click('#register');
		await page.waitForFunction(() => document.getElementById('error').textContent.includes('Số người'), null, { timeout: WAIT_MS });
		text = await page.textContent('#error');
		expect(text.includes('"Số người" phải là số nguyên từ 1 đến 200'), `vi: ${text}`);
		text = await alertAfterSwitch(page, 'en');
		expect(text.includes('"Number of people" must be a whole number from 1 to 200'), `en: ${text}`);
		// the page sent nothing: still the form
		expect(await page.isVisible('#register-form'), 'the form went away');
		await page.click('#lang');
		await context.close();
	});
	await check('a 400 of the daemon: a localized message naming the field, never its English sentence', async () => {
		const context = await newContext();
		const page = await openPage(context, 'daemon-400', '/web/waiting-room/');
		// what a page would get if its checks missed something: the page's own modules, the real daemon
		const english = await page.evaluate(async () => {
			const { Api } = await import('/web/app/api.js');
			const { showError } = await import('/web/app/dom.js');
			try {
				await new Api().post('/register', { category: 'complaint', summary: 'x'.repeat(2001) });
			} catch (e) {
				showError(e);
				return e.message;
			}
			return null;
		});
		expect(english && english.includes("'summary'"), `the daemon said: ${english}`);
		await page.locator('#error[data-code="invalid_request"]').waitFor({ timeout: WAIT_MS });
		let text = await page.textContent('#error');
		expect(text.includes('Một số thông tin đã nhập chưa đúng') && text.includes('"Nội dung tóm tắt"'), `vi: ${text}`);
		expect(!text.includes(english), 'the English sentence is shown');
		text = await alertAfterSwitch(page, 'en');
		expect(text.includes('Some of the information entered is not right') && text.includes('"Summary"'), `en: ${text}`);
		// a field the page does not know: the plain message alone
		await page.evaluate(async () => {
			const { showError } = await import('/web/app/dom.js');
			showError({ code: 'invalid_request', message: "field 'colour' is odd" });
		});
		text = await page.textContent('#error');
		expect(text === 'Some of the information entered is not right. Check it and send it again.', `unknown field: ${text}`);
		await page.click('#lang');
		await context.close();
		// the refused request itself is the one error this page was made to log
		for (let i = consoleErrors.length - 1; i >= 0; i--) {
			if (/^daemon-400: .*status of 400/.test(consoleErrors[i]))
				consoleErrors.splice(i, 1);
		}
	});
	await check('a citizen cancels their own ticket', async () => {
		const context = await newContext(true, 360);
		const page = await openPage(context, 'cancel', '/web/waiting-room/');
		await registerOnPage(page, 'Kiến nghị về lịch tiếp');
		await page.click('#cancel');
		await page.click('#cancel-confirm');
		await page.locator('#ticket-state[data-state="cancelled"]').waitFor({ timeout: WAIT_MS });
		expect(await page.isVisible('#register-again'), 'no way to register again');
		await shot(page, 'waiting-room-360px-cancelled-vi');
		// a new ticket on the same page: its buttons act on it alone
		await page.click('#register-again');
		const next = await registerOnPage(page, 'Kiến nghị lần hai');
		await page.click('#cancel');
		await page.click('#cancel-confirm');
		await page.locator('#ticket-state[data-state="cancelled"]').waitFor({ timeout: WAIT_MS });
		expect((await page.textContent('#ticket-number')) === `#${next}`, 'another ticket shown');
		expect(await page.isHidden('#error'), `error: ${await page.textContent('#error')}`);
		const saved = await page.evaluate(() => JSON.parse(localStorage.getItem('civic-bridge.ticket')));
		expect(saved.id === next, 'localStorage holds another ticket');
		await context.close();
	});
	await check('camera refused: a plain message when called, and a way to try again', async () => {
		const context = await newContext(false);
		const page = await openPage(context, 'no-camera', '/web/waiting-room/');
		const id = await registerOnPage(page, 'Phản ánh tiếng ồn');
		await api('POST', `/tickets/${id}/call`);
		await page.locator('#error[data-code="permission-denied"]').waitFor({ timeout: WAIT_MS });
		expect((await page.textContent('#error')).includes('không được phép dùng camera'), await page.textContent('#error'));
		expect(await page.isVisible('#retry-camera'), 'no retry button');
		await shot(page, 'waiting-room-camera-refused-vi');
		await api('POST', `/tickets/${id}/cancel`);
		await context.close();
	});
	await check('called before any click on the page: no sound, the call box flashes and says so', async () => {
		const ticket = await api('POST', '/register', null, { category: 'recommendation', summary: 'Kiến nghị chiếu sáng' });
		const context = await newContext();
		const page = await openPage(context, 'no-gesture', `/web/waiting-room/#ticket=${ticket.id}&token=${encodeURIComponent(ticket.token)}`);
		await page.locator('#connection[data-state="open"]').waitFor({ timeout: WAIT_MS });
		await api('POST', `/tickets/${ticket.id}/call`);
		await page.locator('#call[data-sound="blocked"]').waitFor({ timeout: WAIT_MS });
		expect(await page.isVisible('#sound-note'), 'the page does not say the ring was blocked');
		expect(await page.isVisible('#join-now'), 'no "join now"');
		await api('POST', `/tickets/${ticket.id}/cancel`);
		await page.locator('#ticket-state[data-state="cancelled"]').waitFor({ timeout: WAIT_MS });
		expect(await page.isHidden('#call'), 'the call box stays');
		await context.close();
	});
	await check('a lost connection is said plainly and recovered', async () => {
		const context = await newContext();
		const page = await openPage(context, 'lost', '/web/waiting-room/');
		await registerOnPage(page, 'Phản ánh chiếu sáng');
		await page.locator('#connection[data-state="open"]').waitFor({ timeout: WAIT_MS });
		await page.evaluate(() => window.civicBridgeWaitingRoom.client._ws.close(4000, 'test: connection lost'));
		await page.locator('#error[data-code="closed"]').waitFor({ timeout: WAIT_MS });
		await page.locator('#connection[data-state="open"]').waitFor({ timeout: WAIT_MS });
		await page.locator('#error[hidden]').waitFor({ state: 'attached', timeout: WAIT_MS });
		await context.close();
	});

	// the bridge point's page
	const operator = await newContext();
	const bp = await openPage(operator, 'bridge-point', '/web/bridge-point/');
	await check('the bridge-point page asks for the token, in Vietnamese', async () => {
		expect(await bp.getAttribute('html', 'lang') === 'vi', 'html lang is not vi');
		expect((await bp.textContent('#sign-in')) === 'Đăng nhập', await bp.textContent('#sign-in'));
		await shot(bp, 'bridge-point-sign-in-vi');
	});
	await check('a wrong token is refused with a plain message', async () => {
		await bp.fill('#token', `cbt_${'B'.repeat(43)}`);
		await bp.click('#sign-in');
		await bp.locator('#error[data-code="unauthenticated"]').waitFor({ timeout: WAIT_MS });
		expect((await bp.textContent('#error')).includes('Mã truy cập không đúng'), await bp.textContent('#error'));
		expect(await bp.isVisible('#sign-in-form'), 'the form went away');
		await shot(bp, 'bridge-point-wrong-token-vi');
		let text = await alertAfterSwitch(bp, 'en');
		expect(text.includes('The access code is wrong or has expired'), `en: ${text}`);
		text = await alertAfterSwitch(bp, 'vi');
		expect(text.includes('Mã truy cập không đúng'), `back to vi: ${text}`);
		// an empty code: said in the page's language, not the browser's
		await bp.fill('#token', '');
		await bp.click('#sign-in');
		await bp.locator('#error[data-code="invalid_request"]').waitFor({ timeout: WAIT_MS });
		expect((await bp.textContent('#error')).includes('Hãy điền mục "Mã truy cập"'), await bp.textContent('#error'));
	});
	await check('a staff token is not a bridge point\'s', async () => {
		await bp.fill('#token', staffToken);
		await bp.click('#sign-in');
		await bp.locator('#error[data-code="forbidden"]').waitFor({ timeout: WAIT_MS });
	});
	await check('the operator signs in and sees the live session', async () => {
		await bp.fill('#token', operatorToken);
		await bp.click('#sign-in');
		await bp.locator('#desk:not([hidden])').waitFor({ timeout: WAIT_MS });
		expect(Number(await bp.inputValue('#session')) === session, `session ${await bp.inputValue('#session')}`);
		await bp.locator('#connection[data-state="open"]').waitFor({ timeout: WAIT_MS });
	});
	await check('a session that is not live cannot be joined: a plain message', async () => {
		await bp.selectOption('#session', String(idleSession));
		await bp.click('#join');
		await bp.locator('#error[data-code="conflict"]').waitFor({ timeout: WAIT_MS });
		expect((await bp.textContent('#error')).includes('phiên chưa bắt đầu'), await bp.textContent('#error'));
		expect(await bp.isEnabled('#join'), 'Join stays disabled');
		await shot(bp, 'bridge-point-not-live-vi');
		await bp.selectOption('#session', String(session));
	});
	await check('the bridge point joins and decodes the hall', async () => {
		await bp.click('#join');
		await videoDecodes(bp, 'video[data-slot="hall"]', 'hall');
		expect(await bp.isHidden('#join') && await bp.isVisible('#leave'), 'Join is still offered');
	});
	await check('joining a recorded session, the bridge point is told it is recorded', async () => {
		await bp.locator('#recording-notice[data-state="on"]').waitFor({ timeout: WAIT_MS });
	});
	await check('the hall receives the bridge point and gives it the floor; the bridge point sees the floor', async () => {
		await hall.waitForFunction(async (s) => (await window.civicBridgeTest.framesDecoded(s)) > 5, bridgePoint, { timeout: WAIT_MS, polling: 250 });
		await hall.evaluate(([s, id]) => window.civicBridgeTest.client.setFloor(Number(s), id), [session, bridgePoint]);
		await videoDecodes(bp, 'video[data-slot="floor"]', 'floor');
		await shot(bp, 'bridge-point-live-vi');
	});
	await check('a walk-in registered at the bridge point appears in its table, without confidential fields', async () => {
		const before = await bp.locator('#tickets tr[data-ticket-id]').count();
		await bp.selectOption('#wi-category', 'denunciation');
		await bp.fill('#wi-summary', 'Tố cáo sai phạm xây dựng');
		await bp.fill('#wi-citizen-name', 'Nguyễn Văn Kín');
		await bp.fill('#wi-contact', '0900000000');
		await bp.click('#walk-in-submit');
		await bp.locator('#tickets tr[data-ticket-id]').nth(before).waitFor({ timeout: WAIT_MS });
		const list = await api('GET', `/tickets?session=${session}&bridge_point=${bridgePoint.slice(3)}`);
		const walkIn = list.items.find((t) => t.channel === 'walk-in');
		expect(walkIn && walkIn.citizen_name === 'Nguyễn Văn Kín', 'staff do not see the walk-in with its name');
		await bp.locator(`#tickets tr[data-ticket-id="${walkIn.id}"]`).waitFor({ timeout: WAIT_MS });
		const text = await bp.textContent('main');
		expect(!text.includes('Nguyễn Văn Kín') && !text.includes('0900000000'), 'a denouncer\'s identity is shown');
	});
	await check('the bridge-point page switches to English', async () => {
		await bp.click('#lang');
		expect((await bp.textContent('#join')) === 'Join the reception', await bp.textContent('#join'));
		expect((await bp.textContent('#tickets thead')).includes('Summary'), 'table head not English');
		expect((await bp.textContent('#live-state')).startsWith('The bridge point is in the reception'), await bp.textContent('#live-state'));
		expect((await bp.textContent('#tickets tbody')).includes('Denunciation'), 'the table is not redrawn in English');
		expect((await bp.textContent('#recording-notice')).includes('being recorded'), await bp.textContent('#recording-notice'));
		await shot(bp, 'bridge-point-live-en');
		await bp.click('#lang');
	});
	await check('staff stop the recording: the notice goes', async () => {
		await api('POST', `/sessions/${session}/recording/stop`);
		await bp.locator('#recording-notice').waitFor({ state: 'hidden', timeout: WAIT_MS });
	});
	await check('the session ends: the bridge-point page leaves the room and says so', async () => {
		await api('POST', `/sessions/${session}/end`);
		await bp.locator('#leave').waitFor({ state: 'hidden', timeout: WAIT_MS });
		expect(await bp.isVisible('#join'), 'no Join after the end');
		expect((await bp.textContent('#live-state')) === 'Điểm cầu đã rời buổi tiếp.', await bp.textContent('#live-state'));
		// an ended session is no longer offered (a session event redraws the list)
		await bp.locator(`#session option[value="${session}"]`).waitFor({ state: 'detached', timeout: WAIT_MS });
	});
	await check('every input labelled, every button named, no positive tabindex: waiting room, bridge point, console', async () => {
		const problems = [];
		for (const [name, page] of [['waiting room', room], ['bridge point', bp]])
			problems.push(...(await accessibilityProblems(page)).map((p) => `${name}: ${p}`));
		const context = await newContext();
		const staff = await openPage(context, 'console', `/web/console/#token=${encodeURIComponent(staffToken)}`);
		await staff.locator('#work:not([hidden])').waitFor({ timeout: WAIT_MS });
		await staff.locator('#queue tbody tr[data-ticket-id]').first().waitFor({ state: 'attached', timeout: WAIT_MS }).catch(() => {});
		problems.push(...(await accessibilityProblems(staff)).map((p) => `console: ${p}`));
		await context.close();
		expect(problems.length === 0, problems.join('; '));
	});
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
