// The bridge point's page: its operator signs in with the bridge point's
// token (from "#token=..." or the form; kept in sessionStorage for a reload
// of this tab only), joins the live session with camera and microphone,
// sees the hall and the floor, registers walk-in citizens and follows the
// bridge point's tickets, live over the WebSocket.
import '../app/strings.js';
import '../waiting-room/strings.js';
import '../waiting-room/ticket-strings.js';
import './strings.js';
import { CivicBridgeClient } from '../civic-bridge-client.js';
import { Api } from '../app/api.js';
import { $, formatTime, h, showAlert, showError, takeFragment } from '../app/dom.js';
import { language, mountLanguageSwitch, onLanguageChange, start, t } from '../app/i18n.js';
import { word } from '../waiting-room/ticket-strings.js';
import { followRecording } from '../app/recording-notice.js';
import { BridgeLive } from './live.js';
import { TicketTable } from './tickets.js';
import { mountWalkIn } from './walk-in.js';

const STORAGE_KEY = 'civic-bridge.operator';
const SHOWN_STATES = ['live', 'open', 'scheduled'];

let api = null;
let client = null;
let live = null;
let table = null;
let sessions = [];
let hideRecording = () => {};

function alertError(e) {
	showError(e);
}

// a line of state that follows the language switch (translate() redraws
// data-i18n elements); null empties it
function say(key) {
	const out = $('#live-state');
	if (key)
		out.dataset.i18n = key;
	else
		delete out.dataset.i18n;
	out.textContent = key ? t(key) : '';
}

function chosenSession() {
	const id = Number($('#session').value);
	return id > 0 ? id : null;
}

// live first, then open, then the coming ones by their start
function drawSessions() {
	const rank = (s) => SHOWN_STATES.indexOf(s.state);
	const shown = sessions.filter((s) => rank(s) >= 0)
		.sort((a, b) => rank(a) - rank(b) || Date.parse(a.starts_at) - Date.parse(b.starts_at))
		.slice(0, 20);
	const before = chosenSession();
	$('#session').replaceChildren(...shown.map((s) => h('option', { value: s.id, dataset: { state: s.state } },
		t('bp.session.label', { title: s.title ?? `#${s.id}`, time: formatTime(s.starts_at, language(), { dateStyle: 'short', timeStyle: 'short' }), state: word('session', s.state) }))));
	if (before && shown.some((s) => s.id === before))
		$('#session').value = String(before);
	$('#join').disabled = shown.length === 0 || live?.session != null;
	if (shown.length === 0)
		say('bp.live.no_session');
}

async function loadSessions() {
	sessions = (await api.get('/sessions')).items ?? [];
	drawSessions();
}

function showConnection(state) {
	const out = $('#connection');
	out.dataset.state = state;
	out.textContent = t(`connection.${state}`);
	if (state === 'reconnecting')
		showAlert('error.closed', {}, 'closed');
	else if (state === 'open' && $('#error').dataset.code === 'closed')
		showAlert(null);
}

function makeClient(token) {
	client = new CivicBridgeClient();
	live = new BridgeLive(client);
	hideRecording = followRecording(client, $('#recording-notice'), () => live.session);
	client.addEventListener('connection', (e) => showConnection(e.detail.state));
	client.addEventListener('error', (e) => showError(e.detail));
	client.addEventListener('message', (e) => {
		const m = e.detail;
		if (m.type === 'queue')
			table.refreshSoon(chosenSession(), alertError);
		else if (m.type === 'session' && m.session) {
			sessions = [...sessions.filter((s) => s.id !== m.session.id), m.session];
			drawSessions();
		}
	});
	// the session ended, or the hall removed this bridge point: out of the room
	client.addEventListener('peer-left', (e) => {
		if (e.detail.handle === 'camera' && live.session !== null && e.detail.reason !== 'replaced')
			leave();
	});
	window.civicBridgePoint = { client, live }; // what the browser tests read
	return client.connect(null, token);
}

async function watchChosen() {
	const session = chosenSession();
	if (session)
		await client.watch(session).catch(alertError);
	await table.refresh(session);
}

async function join() {
	const session = chosenSession();
	showAlert(null);
	$('#join').disabled = true;
	say('bp.live.joining');
	try {
		await live.join(session);
		say('bp.live.joined');
		$('#join').hidden = true;
		$('#leave').hidden = false;
		$('#session').disabled = true;
	} catch (e) {
		await live.leave();
		say(null);
		// conflict: the session is not live, or this bridge point is connected elsewhere
		if (e.code === 'conflict')
			showAlert('bp.live.not_live', {}, e.code);
		else
			alertError(e);
		$('#join').disabled = false;
	}
}

async function leave() {
	await live.leave();
	hideRecording();
	$('#leave').hidden = true;
	$('#join').hidden = false;
	$('#join').disabled = false;
	$('#session').disabled = false;
	say('bp.live.left');
}

function signOut() {
	try {
		sessionStorage.removeItem(STORAGE_KEY);
	} catch {
		// nothing kept
	}
	client?.close();
	location.replace(location.pathname);
}

// the token names an operator: the desk, or a plain message on the sign-in
// form. The token is tried on the WebSocket first: a refused one closes it
// quietly, where a refused HTTP request would also be logged in the console.
async function signIn(token) {
	showAlert(null);
	api = new Api(token);
	table = new TicketTable(api);
	const { role } = await makeClient(token);
	if (role !== 'operator') {
		const error = new Error('not an operator');
		error.code = 'forbidden';
		error.key = 'bp.sign_in.not_operator';
		throw error;
	}
	const me = await api.get('/me');
	try {
		sessionStorage.setItem(STORAGE_KEY, token);
	} catch {
		// a reload asks again
	}
	const bp = await api.get(`/bridge-points/${me.bridge_point_id}`).catch(() => null);
	$('#bp-name').textContent = bp?.name ? `· ${bp.name}` : `· bp-${me.bridge_point_id}`;
	await loadSessions();
	$('#sign-in-view').hidden = true;
	$('#desk').hidden = false;
	await watchChosen();
}

async function trySignIn(token) {
	$('#sign-in').disabled = true;
	try {
		await signIn(token);
	} catch (e) {
		client?.close();
		client = null;
		if (e.code === 'unauthenticated' || e.code === 'forbidden') {
			try {
				sessionStorage.removeItem(STORAGE_KEY); // a revoked token is not tried again
			} catch {
				// nothing kept
			}
		}
		$('#desk').hidden = true;
		$('#sign-in-view').hidden = false;
		showError(e);
		$('#token').focus();
	} finally {
		$('#sign-in').disabled = false;
		document.body.dataset.ready = 'true';
	}
}

function main() {
	start();
	mountLanguageSwitch($('#lang'));
	onLanguageChange(() => {
		drawSessions();
		table?.draw();
		if (client)
			showConnection(client.state);
	});
	$('#sign-in-form').addEventListener('submit', (event) => {
		event.preventDefault();
		const token = $('#token').value.trim();
		if (token !== '') {
			trySignIn(token);
			return;
		}
		showAlert('form.required', { field: { key: 'field.token' } }, 'invalid_request');
		$('#token').focus();
	});
	$('#join').addEventListener('click', join);
	$('#leave').addEventListener('click', leave);
	$('#sign-out').addEventListener('click', signOut);
	$('#session').addEventListener('change', () => watchChosen().catch(alertError));
	mountWalkIn({ post: (path, body) => api.post(path, body) }, chosenSession,
		() => table.refresh(chosenSession()).catch(alertError));
	let token = takeFragment().token;
	try {
		token ??= sessionStorage.getItem(STORAGE_KEY) ?? undefined;
	} catch {
		// storage refused: the form it is
	}
	if (token) {
		trySignIn(token);
	} else {
		$('#sign-in-view').hidden = false;
		document.body.dataset.ready = 'true';
	}
}

window.addEventListener('unhandledrejection', (e) => alertError(e.reason ?? {}));
main();
