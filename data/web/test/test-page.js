// What the hall and bridge-point test pages share: the form, the token from
// the URL's fragment, connection state, errors and video tiles. Stable ids
// and data attributes (data-state, data-slot, data-code) are for the tests.
import { CivicBridgeClient, openCamera } from '../civic-bridge-client.js';

export { openCamera };

const $ = (id) => document.getElementById(id);

// token and session from "#token=...&session=N": a fragment never reaches a
// server or a log; the token is taken out of the address bar at once
export function readFragment() {
	const params = new URLSearchParams(location.hash.slice(1));
	const token = params.get('token');
	const session = params.get('session');
	if (token)
		$('token').value = token;
	if (session)
		$('session').value = session;
	if (token)
		history.replaceState(null, '', location.pathname + (session ? `#session=${encodeURIComponent(session)}` : ''));
}

export function showError(code, message) {
	const error = $('error');
	error.dataset.code = code ?? 'error';
	error.textContent = message;
	error.hidden = false;
}

export function clearError() {
	const error = $('error');
	error.hidden = true;
	error.textContent = '';
	delete error.dataset.code;
}

export function showConnection(state) {
	const out = $('connection');
	out.dataset.state = state;
	out.textContent = state;
}

function setState(element, state) {
	element.dataset.state = state;
	element.textContent = state;
}

// a figure with a video, a caption and the state of its connection
export function tile(container, slot, label) {
	let figure = container.querySelector(`figure[data-slot="${CSS.escape(slot)}"]`);
	if (figure)
		return figure;
	figure = document.createElement('figure');
	figure.className = 'tile';
	figure.dataset.slot = slot;
	const video = document.createElement('video');
	video.autoplay = true;
	video.playsInline = true;
	video.dataset.slot = slot;
	const caption = document.createElement('figcaption');
	const name = document.createElement('span');
	name.className = 'name';
	name.textContent = label;
	const state = document.createElement('span');
	state.className = 'state';
	setState(state, 'new');
	caption.append(name, ' · ', state);
	figure.append(video, caption);
	container.append(figure);
	return figure;
}

export function attach(figure, stream, muted) {
	const video = figure.querySelector('video');
	video.muted = muted;
	// setting the same stream again would not reload the element
	if (video.srcObject === stream)
		video.srcObject = null;
	video.srcObject = stream;
	video.play().catch(() => {
		// autoplay refused before a click: the join click normally allows it
	});
}

export function tileState(figure, state, source) {
	if (source === 'daemon')
		figure.dataset.daemonState = state;
	else
		setState(figure.querySelector('.state'), state);
}

// a page's client, with what the browser tests read
export function makeClient() {
	const client = new CivicBridgeClient();
	client.addEventListener('connection', (e) => showConnection(e.detail.state));
	client.addEventListener('error', (e) => showError(e.detail.code, e.detail.message));
	// a video element (Chromium) shows tracks added to its stream after it
	// was set only once the stream is set anew
	client.addEventListener('track', (e) => {
		const figure = document.querySelector(`figure[data-handle="${CSS.escape(e.detail.handle)}"]`);
		if (figure)
			attach(figure, e.detail.stream, false);
	});
	window.civicBridgeTest = {
		client,
		// frames decoded so far on the subscription to @slot (inbound-rtp)
		async framesDecoded(slot) {
			const figure = document.querySelector(`figure[data-slot="${CSS.escape(slot)}"]`);
			const pc = figure?.dataset.handle ? client.peerConnection(figure.dataset.handle) : null;
			if (!pc)
				return 0;
			let frames = 0;
			(await pc.getStats()).forEach((report) => {
				if (report.type === 'inbound-rtp' && report.kind === 'video')
					frames += report.framesDecoded ?? 0;
			});
			return frames;
		},
		// what every peer connection sends and receives, for a test's report
		async stats() {
			const out = {};
			for (const handle of client.handles) {
				const pc = client.peerConnection(handle);
				if (!pc)
					continue;
				const lines = [`${pc.connectionState}`];
				(await pc.getStats()).forEach((r) => {
					if (r.type === 'inbound-rtp')
						lines.push(`in ${r.kind}: packets ${r.packetsReceived} frames ${r.framesDecoded ?? '-'} key ${r.keyFramesDecoded ?? '-'} pli ${r.pliCount ?? '-'} codec ${r.codecId ?? '-'}`);
					else if (r.type === 'outbound-rtp')
						lines.push(`out ${r.kind}: packets ${r.packetsSent} frames ${r.framesEncoded ?? '-'} key ${r.keyFramesEncoded ?? '-'} pli ${r.pliCount ?? '-'} codec ${r.codecId ?? '-'}`);
				});
				out[handle] = lines.join('; ');
			}
			return out;
		},
	};
	return client;
}

// the form: Join runs @join(token, sessionId) once, Leave @leave()
export function wireForm(join, leave) {
	const form = $('join-form');
	form.addEventListener('submit', async (event) => {
		event.preventDefault();
		const token = $('token').value.trim();
		const session = Number.parseInt($('session').value, 10);
		clearError();
		if (!token || !(session > 0)) {
			showError('invalid_request', 'give a token and a session number');
			return;
		}
		$('join').disabled = true;
		try {
			await join(token, session);
			$('leave').disabled = false;
		} catch (e) {
			showError(e.code ?? 'error', e.message);
			leave();
			$('join').disabled = false;
		}
	});
	$('leave').addEventListener('click', () => {
		leave();
		$('leave').disabled = true;
		$('join').disabled = false;
	});
	window.addEventListener('unhandledrejection', (e) => showError(e.reason?.code ?? 'error', String(e.reason?.message ?? e.reason)));
	readFragment();
}

export { $, setState };
