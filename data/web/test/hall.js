// The hall's test page: publishes camera and microphone as `hall`, receives
// every bridge point (and the admitted citizen) and the floor.
import { $, attach, makeClient, openCamera, showError, tile, tileState, wireForm } from './test-page.js';

let client = null;
let camera = null;

async function receive(session, slot) {
	const container = $('remote');
	const figure = tile(container, slot, slot);
	if (figure.dataset.handle)
		return;
	figure.dataset.handle = `see-${slot}`;
	try {
		const stream = await client.subscribe(session, slot, { handle: `see-${slot}`, wait: slot === 'floor' });
		attach(figure, stream, false);
	} catch (e) {
		delete figure.dataset.handle;
		if (e.code === 'not_found') {
			figure.remove(); // not published yet: its joined event brings it
			return;
		}
		showError(e.code, `${slot}: ${e.message}`);
	}
}

// the bridge points the daemon knows; those not publishing yet answer not_found
async function bridgePoints(token) {
	const answer = await fetch('/api/v1/bridge-points', { headers: { Authorization: `Bearer ${token}` } });
	if (!answer.ok)
		return [];
	const body = await answer.json();
	return (body.items ?? []).map((bp) => `bp-${bp.id}`);
}

async function join(token, session) {
	client = makeClient();
	client.addEventListener('peer-state', (e) => {
		const figure = e.detail.publisher ? $('local-tile') : document.querySelector(`#remote figure[data-handle="${CSS.escape(e.detail.handle)}"]`);
		if (figure)
			tileState(figure, e.detail.state, e.detail.source);
	});
	client.addEventListener('peer-left', (e) => {
		const figure = document.querySelector(`figure[data-handle="${CSS.escape(e.detail.handle)}"]`);
		if (figure)
			tileState(figure, `left: ${e.detail.reason}`, 'browser');
	});
	client.addEventListener('room', (e) => {
		const m = e.detail;
		if (m.event === 'joined' && m.role === 'publisher' && m.id !== 'hall')
			receive(session, m.id);
		const figure = document.querySelector(`#remote figure[data-slot="${CSS.escape(m.id ?? '')}"]`);
		if (figure && m.role === 'publisher') {
			figure.dataset.publisherState = m.event === 'left' ? `left: ${m.reason}` : m.state;
			if (m.event === 'joined')
				figure.dataset.publisherJoins = String(Number(figure.dataset.publisherJoins ?? 0) + 1);
		}
	});
	await client.connect(null, token);
	if (client.role !== 'staff' && client.role !== 'admin')
		throw Object.assign(new Error(`the hall page is for a staff token; this one is ${client.role}`), { code: 'forbidden' });
	camera = await openCamera();
	attach($('local-tile'), camera, true);
	await client.watch(session);
	$('local-tile').dataset.handle = 'hall';
	await client.publish(session, camera, { handle: 'hall' });
	await receive(session, 'floor');
	for (const slot of await bridgePoints(token))
		await receive(session, slot);
}

function leave() {
	client?.close();
	client = null;
	camera?.getTracks().forEach((t) => t.stop());
	camera = null;
	$('remote').replaceChildren();
}

wireForm(join, leave);
