// The citizen's camera and the hall: a preview when called (so that a
// camera problem shows before the staff let them in), then, once admitted,
// the camera and microphone published as `citizen` and the hall received.
import { openCamera } from '../civic-bridge-client.js';
import { $ } from '../app/dom.js';
import { levelOf } from './sound.js';

const PUBLISH = 'citizen';
const HALL = 'see-hall';

export class CitizenMedia {
	constructor(client) {
		this.client = client;
		this.camera = null;
		this.joined = false;
		this.joining = null;
		client.addEventListener('track', (e) => {
			if (e.detail.handle === HALL)
				this._showHall(e.detail.stream);
		});
	}

	/** Opens the camera and shows it in #preview (once); throws the
	 * client's CivicBridgeError (permission-denied, no-device...). */
	async preview() {
		if (!this.camera) {
			this.camera = await openCamera();
			const video = $('#preview');
			video.srcObject = this.camera;
			video.play().catch(() => {}); // muted: allowed; a failure only leaves it still
		}
		$('#media').hidden = false;
		this.meter();
		return this.camera;
	}

	/** Shows the microphone's level in #mic-level, once sound is allowed
	 * (a gesture on the page): the citizen sees that they will be heard. */
	meter() {
		if (this.level || !this.camera)
			return;
		this.level = levelOf(this.camera);
		if (!this.level)
			return;
		const out = $('#mic-level');
		$('#mic').hidden = false;
		this.meterTimer = setInterval(() => {
			out.value = Math.round(this.level() * 100) / 100;
		}, 100);
	}

	/** Publishes the camera and receives the hall in @sessionId (once). */
	join(sessionId) {
		this.joining ??= this._join(sessionId).catch((e) => {
			this.joining = null;
			throw e;
		});
		return this.joining;
	}

	async _join(sessionId) {
		const camera = await this.preview();
		await this.client.publish(sessionId, camera, { handle: PUBLISH });
		const stream = await this.client.subscribe(sessionId, 'hall', { handle: HALL, wait: true });
		this._showHall(stream);
		this.joined = true;
	}

	// a video element shows tracks added to its stream after it was set
	// only once the stream is set anew (Chromium)
	_showHall(stream) {
		const video = $('#hall-video');
		$('#hall-tile').hidden = false;
		if (video.srcObject === stream)
			video.srcObject = null;
		video.srcObject = stream;
		video.play().catch((e) => {
			// sound refused without a gesture: play muted, offer the sound (an
			// AbortError only says a newer stream replaced this one)
			if (e.name !== 'NotAllowedError')
				return;
			video.muted = true;
			$('#unmute').hidden = false;
			video.play().catch(() => {});
		});
	}

	unmute() {
		const video = $('#hall-video');
		video.muted = false;
		video.play().catch(() => {});
		$('#unmute').hidden = true;
	}

	/** Frames decoded from the hall so far (for tests and figures). */
	async framesDecoded() {
		const pc = this.client.peerConnection(HALL);
		let frames = 0;
		(await pc?.getStats())?.forEach((r) => {
			if (r.type === 'inbound-rtp' && r.kind === 'video')
				frames += r.framesDecoded ?? 0;
		});
		return frames;
	}

	/** Leaves the room and turns the camera off. */
	stop() {
		this.client.leave(PUBLISH).catch(() => {});
		this.client.leave(HALL).catch(() => {});
		this.camera?.getTracks().forEach((track) => track.stop());
		this.camera = null;
		clearInterval(this.meterTimer);
		this.level = null;
		$('#mic').hidden = true;
		this.joined = false;
		this.joining = null;
		for (const id of ['#preview', '#hall-video'])
			$(id).srcObject = null;
		$('#hall-tile').hidden = true;
		$('#media').hidden = true;
		$('#unmute').hidden = true;
	}
}
