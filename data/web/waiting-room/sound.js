// The ring when a citizen is called: a tone made with WebAudio (no sound
// file to load). Browsers let a page play sound only after the person did
// something on it, so the AudioContext is made inside a click or key press
// and never before: making one earlier logs an autoplay warning and stays
// silent. Without one, ring() says so and the page shows a visual cue.

let context = null;

/** Call from a user gesture (click, key press): makes or wakes the AudioContext. */
export function unlockSound() {
	try {
		if (!context) {
			const Context = globalThis.AudioContext ?? globalThis.webkitAudioContext;
			if (!Context)
				return;
			context = new Context();
		}
		if (context.state === 'suspended')
			context.resume().catch(() => {});
	} catch {
		context = null; // no audio on this device: the visual cue it is
	}
}

/** Listens for the first gestures on the page and unlocks with them. */
export function unlockOnGesture(root = document) {
	for (const type of ['pointerdown', 'keydown'])
		root.addEventListener(type, unlockSound, { capture: true });
}

function beep(at, frequency, length) {
	const oscillator = context.createOscillator();
	const gain = context.createGain();
	oscillator.type = 'sine';
	oscillator.frequency.value = frequency;
	// a soft start and end: no click
	gain.gain.setValueAtTime(0.0001, at);
	gain.gain.exponentialRampToValueAtTime(0.3, at + 0.02);
	gain.gain.exponentialRampToValueAtTime(0.0001, at + length);
	oscillator.connect(gain).connect(context.destination);
	oscillator.start(at);
	oscillator.stop(at + length + 0.02);
}

/** Rings three times (high, low, high); false when sound is not allowed yet. */
export function ring() {
	if (!context || context.state !== 'running')
		return false;
	const now = context.currentTime;
	beep(now, 880, 0.25);
	beep(now + 0.35, 660, 0.25);
	beep(now + 0.7, 880, 0.4);
	return true;
}

/** A function giving the loudness (0 to 1) of @stream's microphone, or
 * null while sound is not allowed yet (no gesture on the page). */
export function levelOf(stream) {
	if (!context || stream.getAudioTracks().length === 0)
		return null;
	const analyser = context.createAnalyser();
	analyser.fftSize = 512;
	context.createMediaStreamSource(stream).connect(analyser); // not to the speakers
	const samples = new Float32Array(analyser.fftSize);
	return () => {
		analyser.getFloatTimeDomainData(samples);
		let peak = 0;
		for (const v of samples)
			peak = Math.max(peak, Math.abs(v));
		return Math.min(1, peak);
	};
}
