// The bridge point in the live session: its camera and microphone published
// (as bp-<id>, which the daemon takes from the operator's token), the hall
// and the floor received. Either may come later than the bridge point: the
// client asks again until they are published.
import { openCamera } from '../civic-bridge-client.js';
import { $ } from '../app/dom.js';

const SLOTS = ['hall', 'floor'];

function show(video, stream, muted) {
	video.muted = muted;
	// a video element shows tracks added to its stream after it was set
	// only once the stream is set anew (Chromium)
	if (video.srcObject === stream)
		video.srcObject = null;
	video.srcObject = stream;
	video.play().catch((e) => {
		// sound refused before a gesture (the join click normally allows it);
		// an AbortError only says a newer stream replaced this one
		if (e.name !== 'NotAllowedError')
			return;
		video.muted = true;
		video.play().catch(() => {});
	});
}

export class BridgeLive {
	constructor(client) {
		this.client = client;
		this.camera = null;
		this.session = null;
		client.addEventListener('track', (e) => {
			const slot = SLOTS.find((s) => e.detail.handle === `see-${s}`);
			if (slot)
				show($(`video[data-slot="${slot}"]`), e.detail.stream, slot !== 'hall');
		});
	}

	/** Publishes the camera in @sessionId and receives the hall and the floor. */
	async join(sessionId) {
		this.session = sessionId;
		this.camera = await openCamera();
		show($('#local'), this.camera, true);
		await this.client.publish(sessionId, this.camera, { handle: 'camera' });
		for (const slot of SLOTS) {
			const stream = await this.client.subscribe(sessionId, slot, { handle: `see-${slot}`, wait: true });
			// the hall is heard; the floor is muted, since it often is the hall
			show($(`video[data-slot="${slot}"]`), stream, slot !== 'hall');
		}
	}

	/** Frames decoded so far from @slot (for tests and figures). */
	async framesDecoded(slot) {
		const pc = this.client.peerConnection(`see-${slot}`);
		let frames = 0;
		(await pc?.getStats())?.forEach((r) => {
			if (r.type === 'inbound-rtp' && r.kind === 'video')
				frames += r.framesDecoded ?? 0;
		});
		return frames;
	}

	async leave() {
		for (const handle of ['camera', ...SLOTS.map((s) => `see-${s}`)])
			await this.client.leave(handle).catch(() => {});
		this.camera?.getTracks().forEach((track) => track.stop());
		this.camera = null;
		this.session = null;
		for (const video of document.querySelectorAll('.videos video'))
			video.srcObject = null;
	}
}
