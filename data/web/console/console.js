// The staff console: sign in with a staff token, then the sessions, the
// live room, the queue and today's figures, kept current by the daemon's
// WebSocket. The token comes from the sign-in form or a `#token=` fragment
// (taken out of the address bar at once) and is kept in sessionStorage only,
// so it goes with the tab.
import { t, mountLanguageSwitch, onLanguageChange, start as startI18n } from '../app/i18n.js';
import '../app/strings.js';
import './strings.js';
import { Api, ApiError } from '../app/api.js';
import { $, h, announce, showAlert, showError, takeFragment } from '../app/dom.js';
import { CivicBridgeClient } from '../civic-bridge-client.js';
import { mountDialog } from './form.js';
import { Sessions, isoDay } from './sessions.js';
import { Queue } from './queue.js';
import { Room } from './room.js';

const TOKEN_KEY = 'civic-bridge.staff-token';
const STAFF_ROLES = ['staff', 'admin'];

const ctx = {
	api: null,
	client: null,
	bridgePoints: new Map(),
	sessionId: null,
	sessions: null,
	queue: null,
	room: null,
	lost: false,
};

ctx.fail = (error) => {
	// a request sent before the connection came back, failing after it: the
	// server is reachable again, and the reconnection has read everything anew
	if (error?.code === 'network' && error.startedAt < (ctx.reconnectedAt ?? 0))
		return;
	if (error?.code === 'unauthenticated') {
		signOut(error);
		return;
	}
	showError(error);
};

ctx.clearError = () => {
	if ($('#error').dataset.code !== 'closed')
		showAlert(null);
};

// ---- sign in and out ----

function readToken() {
	const fragment = takeFragment();
	if (fragment.token) {
		try {
			sessionStorage.setItem(TOKEN_KEY, fragment.token);
		} catch {
			// storage refused: the token lives in this page only
		}
		return fragment.token;
	}
	try {
		return sessionStorage.getItem(TOKEN_KEY);
	} catch {
		return null;
	}
}

async function signIn(token) {
	showAlert(null);
	$('#sign-in').disabled = true;
	try {
		const api = new Api(token);
		const me = await api.get('/me');
		if (!STAFF_ROLES.includes(me.role))
			throw new ApiError(403, 'forbidden', 'not a staff token');
		try {
			sessionStorage.setItem(TOKEN_KEY, token);
		} catch {
			// kept for this page only
		}
		ctx.api = api;
		await connect(token);
		$('#token').value = '';
		$('#sign-in-panel').hidden = true;
		$('#work').hidden = false;
		$('#sign-out').hidden = false;
		await loadAll();
		announce(t('console.signed_in'));
	} catch (e) {
		if (e.code === 'forbidden')
			e.key = 'console.sign_in.not_staff';
		signOut(e);
	} finally {
		$('#sign-in').disabled = false;
	}
}

// @error: why (shown in the alert box), or null
function signOut(error = null) {
	try {
		sessionStorage.removeItem(TOKEN_KEY);
	} catch {
		// nothing kept
	}
	ctx.room?.leave();
	ctx.client?.close();
	ctx.client = null;
	ctx.api = null;
	ctx.sessionId = null;
	$('#work').hidden = true;
	$('#sign-out').hidden = true;
	$('#sign-in-panel').hidden = false;
	showConnection('closed');
	if (error)
		showError(error);
	else
		showAlert(null);
	$('#token').focus();
}

// ---- the WebSocket ----

function showConnection(state) {
	const out = $('#connection');
	out.dataset.state = state;
	out.textContent = t(`connection.${state}`);
}

async function connect(token) {
	const client = new CivicBridgeClient();
	ctx.client = client;
	client.addEventListener('connection', (e) => onConnection(e.detail.state));
	client.addEventListener('error', (e) => {
		// a subscription whose publisher went away: its tile goes, no alarm
		if (e.detail.code === 'not_found' && e.detail.handle)
			return;
		ctx.fail(e.detail);
	});
	client.addEventListener('message', (e) => onMessage(e.detail));
	ctx.room.listen(client);
	await client.connect(null, token);
}

function onConnection(state) {
	showConnection(state);
	if (state === 'reconnecting' && !ctx.lost) {
		ctx.lost = true;
		showAlert('console.connection_lost', {}, 'closed');
	} else if (state === 'open' && ctx.lost) {
		ctx.lost = false;
		ctx.reconnectedAt = performance.now();
		// what the lost connection caused is over too
		if (['closed', 'network'].includes($('#error').dataset.code))
			showAlert(null);
		announce(t('console.reconnected'));
		loadAll().catch(ctx.fail);
	}
}

function onMessage(m) {
	if (m.type === 'session')
		ctx.sessions.update(m.session);
	else if (m.type === 'queue')
		ctx.queue.update(m.queue);
}

// ---- what is shown ----

ctx.selectSession = async (id) => {
	ctx.sessionId = id;
	const session = id === null ? null : ctx.sessions.get(id);
	ctx.sessions.render();
	ctx.room.show(session);
	try {
		if (id !== null)
			await ctx.client.watch(id);
		await ctx.queue.show(id);
	} catch (e) {
		ctx.fail(e);
	}
};

ctx.sessionChanged = (session) => {
	if (session.id === ctx.sessionId)
		ctx.room.show(session);
	else if (ctx.sessionId === null && session.state === 'live')
		ctx.selectSession(session.id);
};

let figuresTimer = null;
ctx.ticketChanged = () => {
	clearTimeout(figuresTimer);
	figuresTimer = setTimeout(() => loadFigures().catch(ctx.fail), 300);
};

async function loadBridgePoints() {
	const list = await ctx.api.get('/bridge-points');
	ctx.bridgePoints.clear();
	for (const bp of list.items ?? [])
		ctx.bridgePoints.set(bp.id, bp);
	ctx.queue.renderFilters();
}

async function loadFigures() {
	const day = isoDay(0);
	const summary = await ctx.api.get(`/reports/summary?from=${day}&to=${day}`);
	const item = (key, value) => [h('dt', {}, t(`console.figures.${key}`)), h('dd', { dataset: { figure: key } }, String(value ?? 0))];
	$('#figures').replaceChildren(...item('visits', summary.visits), ...item('citizens', summary.citizens),
		...item('large_groups', summary.large_groups), ...item('large_group_citizens', summary.large_group_citizens));
	ctx.figures = summary;
}

async function loadAll() {
	await loadBridgePoints();
	await ctx.sessions.load();
	const chosen = ctx.sessionId !== null && ctx.sessions.get(ctx.sessionId) ? ctx.sessionId : ctx.sessions.pick()?.id ?? null;
	await ctx.selectSession(chosen);
	await loadFigures();
}

// ---- the page ----

function redraw() {
	showConnection($('#connection').dataset.state);
	if (!ctx.api)
		return;
	ctx.sessions.render();
	ctx.queue.renderFilters();
	ctx.queue.render();
	ctx.room.render();
	if (ctx.figures)
		loadFigures().catch(ctx.fail);
	if ($('#error').dataset.code === 'closed')
		showAlert('console.connection_lost', {}, 'closed');
}

function main() {
	startI18n();
	mountLanguageSwitch($('#lang'));
	onLanguageChange(redraw);
	mountDialog();
	ctx.sessions = new Sessions(ctx);
	ctx.queue = new Queue(ctx);
	ctx.queue.mountFilters();
	ctx.room = new Room(ctx);
	ctx.room.mount();
	showConnection('closed');
	$('#sign-in-form').addEventListener('submit', (event) => {
		event.preventDefault();
		const token = $('#token').value.trim();
		if (!token) {
			showAlert('console.sign_in.empty', {}, 'invalid_request');
			$('#token').focus();
			return;
		}
		signIn(token);
	});
	$('#sign-out').addEventListener('click', () => signOut());
	window.addEventListener('unhandledrejection', (e) => ctx.fail(e.reason));
	// for the browser tests: the client and what its subscriptions decode
	window.civicBridgeConsole = {
		get client() {
			return ctx.client;
		},
		async framesDecoded(slot) {
			const pc = ctx.client?.peerConnection(`see-${slot}`);
			let frames = 0;
			(await pc?.getStats())?.forEach((r) => {
				if (r.type === 'inbound-rtp' && r.kind === 'video')
					frames += r.framesDecoded ?? 0;
			});
			return frames;
		},
	};
	// <body data-ready>: the page is usable (page-weight.mjs times it)
	const ready = () => {
		document.body.dataset.ready = 'true';
	};
	const token = readToken();
	if (token)
		signIn(token).finally(ready);
	else
		ready();
}

main();
