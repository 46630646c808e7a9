// The live room of the chosen session, as the hall sees it: the floor large,
// the hall, the bridge points and the admitted citizen in a grid; every
// publisher's connection state and quality (the daemon's `peer` and
// `quality` events for staff); give and take the floor, mute, remove; the
// recording's state and its start and stop.
//
// The console either joins as the hall (publishes this camera as `hall`,
// the room's one staff publisher) or only watches (subscriber peers, which
// staff may open on any slot). Either way the floor, mute and remove work,
// since they are staff messages on the WebSocket, not media.
import { t } from '../app/i18n.js';
import { h, $, announce } from '../app/dom.js';
import { openCamera } from '../civic-bridge-client.js';

const FIXED = ['hall', 'citizen'];

function qualityText(q) {
	if (!q)
		return '–';
	const parts = [];
	if (q.rtt_ms != null)
		parts.push(t('console.quality.rtt', { ms: Math.round(q.rtt_ms) }));
	if (q.loss != null)
		parts.push(t('console.quality.loss', { percent: (q.loss * 100).toFixed(1) }));
	if (q.jitter_ms != null)
		parts.push(t('console.quality.jitter', { ms: Math.round(q.jitter_ms) }));
	if (q.bitrate_kbps != null)
		parts.push(t('console.quality.bitrate', { kbps: Math.round(q.bitrate_kbps) }));
	return parts.join(' · ') || '–';
}

/** Whether the session JSON's or a `recording` message's value means on. */
export function recordingOn(value) {
	if (value === true || value === 'on' || value === 'recording')
		return true;
	if (value && typeof value === 'object')
		return value.active === true || value.recording === true || value.state === 'on' || value.state === 'recording';
	return false;
}

export class Room {
	constructor(ctx) {
		this.ctx = ctx;
		this.sessionId = null;
		this.live = false;
		this.mode = null;         // 'hall', 'viewer' or null
		this.camera = null;
		this.peers = new Map();   // room id -> {state, quality, audio, video}
		this.floor = null;
		this.recording = false;
		this.notShown = new Set(); // slots refused: the connection holds no more peers
	}

	mount() {
		$('#join-hall').addEventListener('click', () => this.join('hall'));
		$('#join-viewer').addEventListener('click', () => this.join('viewer'));
		$('#leave-room').addEventListener('click', () => this.leave());
		$('#take-floor').addEventListener('click', () => this.command('floor', null));
		$('#recording-start').addEventListener('click', () => this.record('start'));
		$('#recording-stop').addEventListener('click', () => this.record('stop'));
		this.render();
	}

	/** Follows a new WebSocket client's events (after each sign-in). */
	listen(client) {
		client.addEventListener('room', (e) => this.onPeer(e.detail));
		client.addEventListener('floor-changed', (e) => this.onFloor(e.detail));
		client.addEventListener('muted', (e) => this.onMuted(e.detail));
		client.addEventListener('track', (e) => this.onTrack(e.detail));
		client.addEventListener('peer-left', (e) => this.onLeft(e.detail));
		client.addEventListener('peer-state', (e) => this.onPcState(e.detail));
		client.addEventListener('message', (e) => this.onMessage(e.detail));
	}

	/** The chosen session (or null), and whether it is live. */
	show(session) {
		const id = session?.id ?? null;
		if (id !== this.sessionId) {
			this.leave();
			this.peers.clear();
			this.floor = null;
		}
		this.sessionId = id;
		this.live = session?.state === 'live';
		if (!this.live && this.mode)
			this.leave();
		this.recording = recordingOn(session?.recording);
		$('#room-session').textContent = session ? `– ${session.title ?? ''}` : '';
		this.render();
	}

	ids() {
		const bps = [...this.ctx.bridgePoints.values()].map((b) => `bp-${b.id}`);
		return [...FIXED, ...bps, ...[...this.peers.keys()].filter((id) => !FIXED.includes(id) && !bps.includes(id))];
	}

	name(id) {
		if (id === 'hall')
			return t('console.hall');
		if (id === 'citizen')
			return t('console.citizen');
		if (id === 'floor')
			return t('console.floor.tile');
		const bp = this.ctx.bridgePoints.get(Number(id.slice(3)));
		return bp ? bp.name : id;
	}

	render() {
		const idle = this.sessionId === null || !this.live;
		$('#room-idle').hidden = !idle;
		$('#join-hall').hidden = idle || this.mode !== null;
		$('#join-viewer').hidden = idle || this.mode !== null;
		$('#leave-room').hidden = this.mode === null;
		$('#take-floor').disabled = idle || this.floor === null;
		$('#floor-holder').textContent = this.floor ? this.name(this.floor) : '—';
		const rec = $('#recording');
		rec.dataset.state = this.recording ? 'on' : 'off';
		rec.textContent = t(this.recording ? 'console.recording.on' : 'console.recording.off');
		rec.classList.toggle('recording-on', this.recording);
		$('#recording-start').disabled = this.sessionId === null || !this.live || this.recording;
		$('#recording-stop').disabled = this.sessionId === null || !this.recording;
		$('#peers tbody').replaceChildren(...(this.sessionId === null ? [] : this.ids().map((id) => this.row(id))));
		for (const figure of document.querySelectorAll('#grid figure')) {
			figure.querySelector('figcaption .name').textContent = this.name(figure.dataset.slot);
			const state = figure.querySelector('figcaption .state');
			state.textContent = t(`console.peer_state.${state.dataset.state}`);
		}
	}

	row(id) {
		const peer = this.peers.get(id) ?? { state: 'absent' };
		const present = peer.state !== 'absent' && peer.state !== 'left' && this.live;
		const button = (action, label, pressed) => h('button', {
			type: 'button', class: 'secondary', dataset: { action }, disabled: !present,
			'aria-pressed': pressed === undefined ? null : String(pressed),
			'aria-label': `${label}: ${this.name(id)}`,
			onclick: () => this.onAction(id, action),
		}, label);
		return h('tr', { dataset: { peerId: id, state: peer.state }, class: this.floor === id ? 'has-floor' : null },
			h('th', { scope: 'row' }, this.name(id), this.floor === id ? h('small', {}, ` (${t('console.floor.has')})`) : null),
			h('td', {}, h('span', { class: 'state', dataset: { state: peer.state } }, t(`console.peer_state.${peer.state}`))),
			h('td', { class: 'quality' }, qualityText(peer.quality)),
			h('td', {}, h('div', { class: 'actions' },
				button('floor', t('console.floor.give'), this.floor === id),
				button('mute-audio', t('console.mute.audio'), peer.audio === true),
				button('mute-video', t('console.mute.video'), peer.video === true),
				id === 'hall' ? null : button('remove', t('console.remove')))));
	}

	async onAction(id, action) {
		const peer = this.peers.get(id) ?? {};
		if (action === 'floor')
			await this.command('floor', this.floor === id ? null : id);
		else if (action === 'mute-audio')
			await this.command('mute', id, { audio: !peer.audio, video: peer.video === true });
		else if (action === 'mute-video')
			await this.command('mute', id, { audio: peer.audio === true, video: !peer.video });
		else if (action === 'remove')
			await this.command('remove', id);
	}

	async command(type, id, flags = {}) {
		if (this.sessionId === null)
			return;
		const client = this.ctx.client;
		try {
			if (type === 'floor')
				await client.setFloor(this.sessionId, id);
			else if (type === 'mute')
				await client.mute(this.sessionId, id, flags);
			else
				await client.remove(this.sessionId, id);
			if (type === 'remove')
				announce(t('console.removed', { name: this.name(id) }));
		} catch (e) {
			this.ctx.fail(e);
		}
	}

	// ---- the daemon's events for staff ----

	peer(id) {
		if (!this.peers.has(id))
			this.peers.set(id, { state: 'absent', quality: null, audio: false, video: false });
		return this.peers.get(id);
	}

	onPeer(m) {
		if (m.session_id !== this.sessionId || m.role !== 'publisher' || !m.id)
			return;
		const peer = this.peer(m.id);
		if (m.event === 'left') {
			peer.state = 'left';
			peer.quality = null;
			peer.reason = m.reason;
			if (m.id !== 'hall' || this.mode !== 'hall')
				this.dropTile(m.id);
		} else {
			peer.state = m.state ?? 'connecting';
			if (m.event === 'joined') {
				announce(t('console.peer_joined', { name: this.name(m.id) }));
				if (this.mode && !(m.id === 'hall' && this.mode === 'hall'))
					this.receive(m.id);
			}
		}
		this.render();
	}

	onMessage(m) {
		if (m.type === 'quality' && m.session_id === this.sessionId && m.role === 'publisher' && this.peers.has(m.id)) {
			this.peers.get(m.id).quality = m;
			const cell = document.querySelector(`#peers tr[data-peer-id="${CSS.escape(m.id)}"] .quality`);
			if (cell)
				cell.textContent = qualityText(m);
		} else if (m.type === 'recording' && (m.session_id === undefined || m.session_id === this.sessionId)) {
			this.recording = recordingOn(m.recording ?? m);
			announce(t(this.recording ? 'console.recording.on' : 'console.recording.off'));
			// stopped by the daemon, not by staff: say why
			if (!this.recording && (m.reason === 'disk-full' || m.reason === 'error'))
				this.ctx.fail({ code: 'recording', key: `console.recording.stopped.${m.reason}`, vars: { detail: m.message ?? '' } });
			this.render();
		}
	}

	onFloor(m) {
		if (m.session_id !== this.sessionId)
			return;
		this.floor = m.peer ?? null;
		announce(this.floor ? t('console.floor.given', { name: this.name(this.floor) }) : t('console.floor.taken'));
		this.render();
		this.hearOnce();
	}

	onMuted(m) {
		if (m.session_id !== this.sessionId)
			return;
		Object.assign(this.peer(m.peer), { audio: m.audio, video: m.video });
		this.render();
	}

	// ---- media ----

	async join(mode) {
		if (this.sessionId === null || !this.live || this.mode)
			return;
		this.ctx.clearError();
		const client = this.ctx.client;
		this.mode = mode;
		this.notShown.clear();
		this.render();
		try {
			if (mode === 'hall') {
				this.camera = await openCamera();
				this.attach(this.tile('hall'), this.camera, true);
				await client.publish(this.sessionId, this.camera, { handle: 'cam-hall' });
			}
			await this.receive('floor', true);
			const ids = this.ids().filter((id) => !(id === 'hall' && mode === 'hall'));
			await Promise.all(ids.map((id) => this.receive(id)));
			announce(t(mode === 'hall' ? 'console.room.joined_hall' : 'console.room.joined_viewer'));
		} catch (e) {
			this.leave();
			// the room has one hall: another computer holds it
			if (e.code === 'conflict' && mode === 'hall')
				e.key = 'console.room.hall_busy';
			this.ctx.fail(e);
		}
	}

	leave() {
		const client = this.ctx.client;
		for (const handle of client?.handles ?? [])
			client.leave(handle);
		this.camera?.getTracks().forEach((track) => track.stop());
		this.camera = null;
		this.mode = null;
		$('#grid').replaceChildren();
		this.render();
	}

	// subscribes to @slot; one nobody publishes yet (not_found) is left for
	// its `joined` event, but the floor is waited for
	async receive(slot, wait = false) {
		if (!this.mode || this.sessionId === null)
			return;
		const handle = `see-${slot}`;
		if (this.ctx.client.handles.includes(handle))
			return;
		try {
			const stream = await this.ctx.client.subscribe(this.sessionId, slot, { handle, wait });
			this.attach(this.tile(slot), stream, false);
			this.hearOnce();
		} catch (e) {
			if (e.code === 'too_large')
				this.tooMany(slot, e);
			else if (e.code !== 'not_found')
				this.ctx.fail(e);
		}
	}

	// the daemon holds [media] max-peers-per-connection peers per connection
	// (the number comes in `joined`, and in the refusal's own words): say how
	// many tiles are missing and what raises the bound
	tooMany(slot, e) {
		this.notShown.add(slot);
		const max = this.ctx.client.maxPeers ?? Number(/at most (\d+)/.exec(e.message ?? '')?.[1]);
		this.ctx.fail({
			code: 'too_large',
			key: 'console.room.too_many',
			vars: { max: Number.isFinite(max) ? max : '?', count: this.notShown.size },
		});
	}

	tile(slot) {
		let figure = document.querySelector(`#grid figure[data-slot="${CSS.escape(slot)}"]`);
		if (figure)
			return figure;
		const video = h('video', { autoplay: true, playsinline: true, dataset: { slot } });
		figure = h('figure', { class: `tile${slot === 'floor' ? ' floor' : ''}`, dataset: { slot } },
			video, h('figcaption', {}, h('span', { class: 'name' }, this.name(slot)), ' ',
				h('span', { class: 'state', dataset: { state: 'connecting' } }, t('console.peer_state.connecting'))));
		const grid = $('#grid');
		if (slot === 'floor')
			grid.prepend(figure);
		else
			grid.append(figure);
		return figure;
	}

	dropTile(slot) {
		this.notShown.delete(slot);
		this.ctx.client.leave(`see-${slot}`);
		document.querySelector(`#grid figure[data-slot="${CSS.escape(slot)}"]`)?.remove();
	}

	attach(figure, stream, muted) {
		const video = figure.querySelector('video');
		video.muted = muted;
		// Chromium shows tracks added after srcObject only when it is set anew
		if (video.srcObject === stream)
			video.srcObject = null;
		video.srcObject = stream;
		video.play().catch(() => {
			// autoplay refused: the join click normally allows it
		});
	}

	// the floor tile carries the floor's sound: its publisher's own tile is
	// silent then, so no voice is heard twice
	hearOnce() {
		for (const video of document.querySelectorAll('#grid video')) {
			const slot = video.dataset.slot;
			video.muted = (slot === 'hall' && this.mode === 'hall') || (this.floor !== null && slot === this.floor);
		}
	}

	onTrack(d) {
		const slot = d.handle?.startsWith('see-') ? d.handle.slice(4) : null;
		const figure = slot && document.querySelector(`#grid figure[data-slot="${CSS.escape(slot)}"]`);
		if (figure) {
			this.attach(figure, d.stream, false);
			this.hearOnce();
		}
	}

	onPcState(d) {
		const slot = d.publisher ? 'hall' : d.handle?.slice(4);
		const state = document.querySelector(`#grid figure[data-slot="${CSS.escape(slot ?? '')}"] .state`);
		if (state && d.source === 'browser') {
			state.dataset.state = d.state;
			state.textContent = t(`console.peer_state.${d.state}`);
		}
	}

	onLeft(d) {
		if (d.publisher || d.handle === 'cam-hall') {
			if (d.reason === 'removed' || d.reason === 'replaced')
				this.ctx.fail({ code: 'conflict', key: 'console.room.hall_lost' });
			return;
		}
		if (d.handle?.startsWith('see-'))
			document.querySelector(`#grid figure[data-slot="${CSS.escape(d.handle.slice(4))}"]`)?.remove();
	}

	// ---- recording ----

	async record(what) {
		if (this.sessionId === null)
			return;
		this.ctx.clearError();
		try {
			const answer = await this.ctx.api.post(`/sessions/${this.sessionId}/recording/${what}`);
			this.recording = answer && 'recording' in answer ? recordingOn(answer.recording) : what === 'start';
			this.render();
		} catch (e) {
			// a daemon without the recorder has no such route
			if (e.status === 405 || (e.status === 404 && /^no route/.test(e.message)))
				this.ctx.fail({ code: 'recording', key: 'console.recording.unavailable' });
			else if (e.status === 409)
				this.ctx.fail({ code: 'recording', key: 'console.recording.refused', vars: { detail: e.message } });
			else
				this.ctx.fail(e);
		}
	}
}
