// A bridge point's test page: publishes camera and microphone (as bp-<id>,
// from the operator's token) and receives the hall and the floor.
import { $, attach, makeClient, openCamera, tile, tileState, wireForm } from './test-page.js';

let client = null;
let camera = null;

async function join(token, session) {
	client = makeClient();
	client.addEventListener('peer-state', (e) => {
		const figure = document.querySelector(`figure[data-handle="${CSS.escape(e.detail.handle)}"]`);
		if (figure)
			tileState(figure, e.detail.state, e.detail.source);
	});
	client.addEventListener('peer-left', (e) => {
		const figure = document.querySelector(`figure[data-handle="${CSS.escape(e.detail.handle)}"]`);
		if (figure)
			tileState(figure, `left: ${e.detail.reason}`, 'browser');
	});
	await client.connect(null, token);
	if (client.role !== 'operator')
		throw Object.assign(new Error(`the bridge-point page is for an operator's token; this one is ${client.role}`), { code: 'forbidden' });
	camera = await openCamera();
	const local = $('local-tile');
	attach(local, camera, true);
	local.dataset.handle = 'camera';
	await client.publish(session, camera, { handle: 'camera' });
	local.dataset.slot = client.slotOf('camera') ?? 'self';
	// the hall may come later than this bridge point: ask until it is there
	for (const slot of ['hall', 'floor']) {
		const figure = tile($('remote'), slot, slot);
		figure.dataset.handle = `see-${slot}`;
		attach(figure, await client.subscribe(session, slot, { handle: `see-${slot}`, wait: true }), false);
	}
}

function leave() {
	client?.close();
	client = null;
	camera?.getTracks().forEach((t) => t.stop());
	camera = null;
	$('remote').replaceChildren();
}

wireForm(join, leave);
