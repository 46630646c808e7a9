// civic-bridge browser client: signalling over the daemon's WebSocket
// (/api/v1/ws) and one RTCPeerConnection per peer. No dependencies, no build
// step: served by civic-bridged as /web/civic-bridge-client.js.
//
// Every peer connection is one-way (README.md "Signalling and WHIP"): a
// publisher sends camera and microphone (the browser offers sendonly), a
// subscriber receives one slot (the browser offers recvonly). GStreamer 1.22
// has no ICE restart, so a lost path is mended with a new peer connection and
// a new offer; a publisher whose WebSocket dropped keeps its slot on the
// daemon for a grace period and comes back by joining again.

const CLOSE_UNAUTHENTICATED = 4401;
const CLOSE_RATE_LIMITED = 4429;
const CLOSE_TOO_LARGE = 1009;

// leave reasons after which the peer is not made again by itself
const FINAL_REASONS = new Set(['left', 'removed', 'replaced', 'ticket', 'session-ended', 'gone']);

/** An error with the daemon's code (`unauthenticated`, `forbidden`,
 * `conflict`, `not_found`, ...) or one of the client's own (`no-device`,
 * `permission-denied`, `device-busy`, `insecure-context`, `network`,
 * `closed`). */
export class CivicBridgeError extends Error {
	constructor(code, message, handle = null) {
		super(message);
		this.name = 'CivicBridgeError';
		this.code = code;
		this.handle = handle;
	}
}

function describeRefusal(code, message) {
	if (code === 'unauthenticated')
		return `unauthorized: the daemon refused this token (${message})`;
	return message;
}

/** RTCIceServer objects from the daemon's ice_servers: URI strings or
 * {urls, username?, credential?} objects. */
export function toIceServers(list) {
	const servers = [];
	for (const entry of Array.isArray(list) ? list : []) {
		if (typeof entry === 'string' && entry !== '')
			servers.push({ urls: entry });
		else if (entry && (typeof entry.urls === 'string' || Array.isArray(entry.urls))) {
			const server = { urls: entry.urls };
			if (typeof entry.username === 'string')
				server.username = entry.username;
			if (typeof entry.credential === 'string')
				server.credential = entry.credential;
			servers.push(server);
		}
	}
	return servers;
}

/** Camera and microphone, with errors a person can act on. */
export async function openCamera(constraints = { audio: true, video: true }) {
	if (!globalThis.isSecureContext || !navigator.mediaDevices?.getUserMedia)
		throw new CivicBridgeError('insecure-context',
			'the camera needs a secure page: open it over https (or from localhost)');
	try {
		return await navigator.mediaDevices.getUserMedia(constraints);
	} catch (e) {
		switch (e.name) {
		case 'NotAllowedError':
		case 'SecurityError':
			throw new CivicBridgeError('permission-denied',
				'access to the camera and microphone was refused: allow it in the ' +
				'browser\'s site settings and join again');
		case 'NotFoundError':
		case 'OverconstrainedError':
			throw new CivicBridgeError('no-device',
				'no camera or microphone was found: connect one and join again');
		case 'NotReadableError':
		case 'AbortError':
			throw new CivicBridgeError('device-busy',
				'the camera or microphone is in use by another program or cannot be read');
		default:
			throw new CivicBridgeError('no-device', `the camera cannot be opened: ${e.message}`);
		}
	}
}

/**
 * Events (CustomEvent, details below):
 * - `connection` {state: 'connecting'|'open'|'reconnecting'|'closed', role}
 * - `peer-state` {handle, slot, publisher, state, source: 'daemon'|'browser'}
 * - `peer-left` {handle, slot, reason}
 * - `track` {handle, slot, track, stream}
 * - `room` {session_id, event, id, role, kind, slot, via, state, reason}: staff
 * - `floor-changed` {session_id, peer}, `muted` {session_id, peer, audio, video}: staff
 * - `recording` {session_id, active, reason}: whether the session is being
 *   recorded, when a peer joins and at every change (also as a `message`)
 * - `message`: every other message of the daemon (queue, session, ticket...)
 * - `error` {code, message, handle}
 */
export class CivicBridgeClient extends EventTarget {
	constructor(options = {}) {
		super();
		this.options = {
			reconnect: true,
			backoffMinMs: 500,
			backoffMaxMs: 10000,
			heartbeatMs: 20000,
			subscribeRetryMs: 2000,
			...options,
		};
		this.role = null;
		this.state = 'closed';
		this._url = null;
		this._token = null;
		this._ws = null;
		this._peers = new Map(); // handle -> peer record
		this._pending = [];      // requests awaiting their fence (pong)
		this._watched = new Set();
		this._serial = 0;
		this._attempt = 0;
		this._timers = new Set();
		this._closing = false;
	}

	/** Opens the WebSocket and authenticates with @token (in the first
	 * message: a token never goes in a URL). Resolves {role}. */
	connect(url, token) {
		this._url = url || CivicBridgeClient.defaultUrl();
		this._token = token;
		this._closing = false;
		return this._open(false);
	}

	static defaultUrl() {
		const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
		return `${scheme}//${location.host}/api/v1/ws`;
	}

	/** Receives the session's room events (staff) and queue updates. */
	async watch(sessionId) {
		this._watched.add(sessionId);
		await this._request({ type: 'subscribe', session_id: sessionId });
	}

	/** Publishes @stream's camera and microphone; resolves the peer's handle
	 * once the daemon took the offer. */
	async publish(sessionId, stream, { handle } = {}) {
		if (!stream || stream.getTracks().length === 0)
			throw new CivicBridgeError('no-device', 'there is nothing to publish: no camera or microphone');
		const peer = this._newPeer(handle, sessionId, true, null);
		peer.stream = stream;
		await this._start(peer);
		return peer.handle;
	}

	/** Receives @slot ('hall', 'bp-3', 'citizen', 'floor'); resolves a
	 * MediaStream that fills as tracks arrive and survives reconnections.
	 * With {wait: true} a slot nobody has published yet (not_found) is
	 * asked for again every subscribeRetryMs until it is there. */
	async subscribe(sessionId, slot, { handle, wait = false } = {}) {
		const peer = this._newPeer(handle, sessionId, false, slot);
		peer.stream = new MediaStream();
		peer.wait = wait;
		try {
			await this._start(peer);
		} catch (e) {
			if (!(wait && e.code === 'not_found'))
				throw e;
			this._retryLater(peer);
		}
		return peer.stream;
	}

	/** The handle of a subscription's MediaStream. */
	handleOf(stream) {
		for (const peer of this._peers.values())
			if (peer.stream === stream)
				return peer.handle;
		return null;
	}

	/** The slot a peer publishes ('bp-3') or receives, or null. */
	slotOf(handle) {
		return this._peers.get(handle)?.slot ?? null;
	}

	/** The peer connection of @handle (for getStats), or null. */
	peerConnection(handle) {
		return this._peers.get(handle)?.pc ?? null;
	}

	get handles() {
		return [...this._peers.keys()];
	}

	/** Ends a peer: @handle, or the MediaStream subscribe() gave. */
	async leave(handleOrStream) {
		const handle = typeof handleOrStream === 'string' ? handleOrStream : this.handleOf(handleOrStream);
		const peer = this._peers.get(handle);
		if (!peer)
			return;
		this._dropPeer(peer);
		if (peer.joined && this.state === 'open')
			await this._request({ type: 'leave', peer: handle }).catch(() => {});
	}

	/** Staff: gives the floor to a publisher id ('bp-3'), or takes it (null). */
	setFloor(sessionId, publisherId) {
		return this._request({ type: 'floor', session_id: sessionId, peer: publisherId });
	}

	/** Staff: mutes a publisher for everyone. */
	mute(sessionId, publisherId, { audio = false, video = false } = {}) {
		return this._request({ type: 'mute', session_id: sessionId, peer: publisherId, audio, video });
	}

	/** Staff: removes a peer from the room by its room id ('bp-3'). */
	remove(sessionId, peerId) {
		return this._request({ type: 'remove', session_id: sessionId, peer: peerId });
	}

	/** Leaves every peer and closes the WebSocket for good. */
	close() {
		this._closing = true;
		this._stopHeartbeat();
		for (const peer of [...this._peers.values()]) {
			// a publisher that says goodbye does not hold its slot for the grace period
			if (peer.joined && this._ws?.readyState === WebSocket.OPEN)
				this._ws.send(JSON.stringify({ type: 'leave', peer: peer.handle }));
			this._dropPeer(peer);
		}
		for (const timer of this._timers)
			clearTimeout(timer);
		this._timers.clear();
		this._failPending(new CivicBridgeError('closed', 'the client was closed'));
		if (this._ws)
			this._ws.close(1000, 'bye');
		this._ws = null;
		this._setState('closed');
	}

	// ---- the WebSocket ----

	_emit(type, detail) {
		this.dispatchEvent(new CustomEvent(type, { detail }));
	}

	_emitError(error) {
		this._emit('error', { code: error.code, message: error.message, handle: error.handle ?? null });
	}

	_setState(state) {
		if (this.state === state)
			return;
		this.state = state;
		this._emit('connection', { state, role: this.role });
	}

	_later(ms, fn) {
		const timer = setTimeout(() => {
			this._timers.delete(timer);
			fn();
		}, ms);
		this._timers.add(timer);
		return timer;
	}

	_open(reconnecting) {
		this._setState(reconnecting ? 'reconnecting' : 'connecting');
		return new Promise((resolve, reject) => {
			let ws;
			try {
				ws = new WebSocket(this._url);
			} catch (e) {
				reject(new CivicBridgeError('network', `cannot open ${this._url}: ${e.message}`));
				return;
			}
			this._ws = ws;
			let hello = false;
			let refusal = null;
			// a socket closed as it opened is not written to (the browser would log an error)
			ws.onopen = () => {
				if (ws.readyState === WebSocket.OPEN)
					ws.send(JSON.stringify({ type: 'auth', token: this._token }));
			};
			ws.onmessage = (event) => {
				let message;
				try {
					message = JSON.parse(event.data);
				} catch {
					return;
				}
				if (!hello) {
					if (message.type === 'hello') {
						hello = true;
						this.role = message.role;
						this._attempt = 0;
						this._setState('open');
						this._startHeartbeat(ws);
						resolve({ role: message.role });
						this._restore();
					} else if (message.type === 'error') {
						refusal = message.error;
					}
					return;
				}
				this._dispatch(message);
			};
			ws.onclose = (event) => {
				if (this._ws === ws)
					this._ws = null;
				const error = this._closeError(event, refusal);
				if (!hello) {
					reject(error);
					if (!reconnecting || error.final) {
						if (reconnecting)
							this._emitError(error);
						this._setState('closed');
						return;
					}
				}
				this._lost(error);
			};
		});
	}

	_closeError(event, refusal) {
		let error;
		if (event.code === CLOSE_UNAUTHENTICATED) {
			error = new CivicBridgeError('unauthenticated',
				describeRefusal('unauthenticated', refusal?.message ?? 'unknown, revoked or expired token'));
			error.final = true;
		} else if (event.code === CLOSE_RATE_LIMITED) {
			error = new CivicBridgeError('rate_limited',
				'too many failed sign-ins from this address: wait a few minutes and try again');
			error.final = true;
		} else if (event.code === CLOSE_TOO_LARGE) {
			error = new CivicBridgeError('too_large', 'a message was larger than the daemon accepts');
		} else {
			error = new CivicBridgeError('network',
				`the connection to civic-bridge closed (${event.code}${event.reason ? ': ' + event.reason : ''})`);
		}
		return error;
	}

	// the WebSocket went away after hello: reconnect with backoff unless closed
	_lost(error) {
		this._stopHeartbeat();
		this._failPending(error);
		for (const peer of this._peers.values()) {
			peer.joined = false;
			// the daemon dropped subscribers at once; a publisher's media may
			// flow on through its grace period, until it joins again
			if (!peer.publisher)
				this._closePc(peer);
		}
		if (this._closing || !this.options.reconnect || error.final) {
			if (error.final)
				this._emitError(error);
			this._setState('closed');
			return;
		}
		this._setState('reconnecting');
		const base = Math.min(this.options.backoffMaxMs, this.options.backoffMinMs * 2 ** this._attempt);
		this._attempt++;
		const delay = base / 2 + Math.random() * base / 2;
		this._later(delay, () => {
			if (this._closing)
				return;
			this._open(true).catch(() => {});
		});
	}

	// after a reconnection: the session watches, then every peer anew
	async _restore() {
		for (const session of this._watched)
			this._request({ type: 'subscribe', session_id: session }).catch((e) => this._emitError(e));
		for (const peer of this._peers.values()) {
			if (!peer.joined && !peer.starting)
				this._restart(peer);
		}
	}

	_startHeartbeat(ws) {
		this._stopHeartbeat();
		this._heartbeat = setInterval(() => {
			if (this._ws !== ws)
				return;
			const timer = setTimeout(() => ws.close(4000, 'no answer to ping'), this.options.heartbeatMs);
			this._request({ type: 'ping' }, false).then(() => clearTimeout(timer), () => clearTimeout(timer));
		}, this.options.heartbeatMs);
	}

	_stopHeartbeat() {
		clearInterval(this._heartbeat);
		this._heartbeat = null;
	}

	// Sends @message and, after it, a ping: the daemon handles a socket's
	// messages in order and answers a refused one with an error at once, so
	// an error before the pong belongs to @message (errors name no peer).
	_request(message, fenced = true) {
		return new Promise((resolve, reject) => {
			if (!this._ws || this.state !== 'open' || this._ws.readyState !== WebSocket.OPEN) {
				reject(new CivicBridgeError('network', 'not connected to civic-bridge', message.peer ?? null));
				return;
			}
			this._pending.push({ message, resolve, reject, error: null, replies: [] });
			this._ws.send(JSON.stringify(message));
			if (fenced)
				this._ws.send(JSON.stringify({ type: 'ping' }));
		});
	}

	_failPending(error) {
		const pending = this._pending;
		this._pending = [];
		for (const request of pending)
			request.reject(new CivicBridgeError(error.code, error.message, request.message.peer ?? null));
	}

	_dispatch(message) {
		const head = this._pending[0];
		switch (message.type) {
		case 'pong':
			if (head) {
				this._pending.shift();
				if (head.error)
					head.reject(head.error);
				else
					head.resolve(head.replies);
			}
			return;
		case 'error': {
			const { code = 'internal', message: text = 'unknown error' } = message.error ?? {};
			const error = new CivicBridgeError(code, describeRefusal(code, text), head?.message.peer ?? null);
			if (head && !head.error)
				head.error = error;
			else
				this._emitError(error);
			return;
		}
		case 'joined':
		case 'subscribed':
			if (head)
				head.replies.push(message);
			return;
		case 'answer':
			this._onAnswer(message);
			return;
		case 'candidate':
			this._onCandidate(message);
			return;
		case 'peer-state': {
			const peer = this._peers.get(message.peer);
			if (peer)
				this._emit('peer-state', { handle: peer.handle, slot: peer.slot, publisher: peer.publisher, state: message.state, source: 'daemon' });
			return;
		}
		case 'peer-left':
			this._onPeerLeft(message);
			return;
		case 'peer':
			this._emit('room', message);
			return;
		case 'floor-changed':
		case 'muted':
			this._emit(message.type, message);
			return;
		case 'recording':
			this._emit('recording', { session_id: message.session_id, active: message.active === true, reason: message.reason ?? null });
			this._emit('message', message);
			return;
		default:
			this._emit('message', message);
		}
	}

	// ---- peers ----

	_newPeer(handle, sessionId, publisher, slot) {
		handle = handle || `${publisher ? 'pub' : 'sub'}-${slot ?? 'self'}-${++this._serial}`;
		if (this._peers.has(handle))
			throw new CivicBridgeError('conflict', `peer '${handle}' exists; leave it first`, handle);
		const peer = {
			handle, sessionId, publisher, slot,
			stream: null, pc: null, joined: false, starting: false,
			remoteCandidates: [], answered: false, failures: 0, wait: false,
		};
		this._peers.set(handle, peer);
		return peer;
	}

	// join, then a new peer connection and its offer; a peer made again
	// (@again) stays when the WebSocket drops meanwhile, for _restore()
	async _start(peer, again = false) {
		peer.starting = true;
		try {
			const join = { type: 'join', session_id: peer.sessionId, as: peer.publisher ? 'publisher' : 'subscriber', peer: peer.handle };
			if (!peer.publisher)
				join.slot = peer.slot;
			const replies = await this._request(join);
			const joined = replies.find((m) => m.type === 'joined' && m.peer === peer.handle);
			if (!this._peers.has(peer.handle))
				return;
			peer.joined = true;
			peer.id = joined?.id ?? null;
			// everyone in the room is told whether it is recorded
			if (typeof joined?.recording === 'boolean')
				this._emit('recording', { session_id: peer.sessionId, active: joined.recording, reason: null });
			// the daemon's [media] max-peers-per-connection, for pages that open many peers
			this.maxPeers = joined?.max_peers ?? this.maxPeers ?? null;
			if (peer.publisher)
				peer.slot = peer.id;
			await this._negotiate(peer, toIceServers(joined?.ice_servers));
			peer.failures = 0;
		} catch (e) {
			this._closePc(peer);
			if (peer.joined) {
				// joined but the offer was refused: the daemon's half goes too
				peer.joined = false;
				this._leaveQuietly(peer);
			}
			const keep = (peer.wait && e.code === 'not_found') || (again && e.code === 'network');
			if (this._peers.get(peer.handle) === peer && !keep)
				this._peers.delete(peer.handle);
			throw e;
		} finally {
			peer.starting = false;
		}
	}

	async _negotiate(peer, iceServers) {
		this._closePc(peer);
		const pc = new RTCPeerConnection({ iceServers, bundlePolicy: 'max-bundle', rtcpMuxPolicy: 'require' });
		peer.pc = pc;
		peer.answered = false;
		peer.remoteCandidates = [];
		const outgoing = [];
		let offerSent = false;
		pc.onicecandidate = (event) => {
			const c = event.candidate;
			// an empty candidate tells the daemon gathering is over
			const message = { type: 'candidate', peer: peer.handle, mline: c ? c.sdpMLineIndex ?? 0 : 0, candidate: c ? c.candidate : '' };
			if (offerSent)
				this._sendCandidate(peer, pc, message);
			else
				outgoing.push(message);
		};
		pc.onconnectionstatechange = () => this._onPcState(peer, pc);
		if (peer.publisher) {
			const tracks = [...peer.stream.getVideoTracks(), ...peer.stream.getAudioTracks()];
			for (const track of tracks)
				pc.addTransceiver(track, { direction: 'sendonly', streams: [peer.stream] });
		} else {
			pc.addTransceiver('video', { direction: 'recvonly' });
			pc.addTransceiver('audio', { direction: 'recvonly' });
			pc.ontrack = (event) => this._onTrack(peer, pc, event.track);
		}
		this._preferCodecs(pc);
		const offer = await pc.createOffer();
		await pc.setLocalDescription(offer);
		if (peer.pc !== pc)
			return;
		await this._request({ type: 'offer', peer: peer.handle, sdp: pc.localDescription.sdp });
		offerSent = true;
		for (const message of outgoing)
			this._sendCandidate(peer, pc, message);
	}

	// VP8 and Opus are what the daemon forwards: put them first
	_preferCodecs(pc) {
		if (typeof RTCRtpReceiver.getCapabilities !== 'function')
			return;
		for (const transceiver of pc.getTransceivers()) {
			const kind = transceiver.receiver.track?.kind;
			const want = kind === 'video' ? 'video/vp8' : 'audio/opus';
			const codecs = RTCRtpReceiver.getCapabilities(kind)?.codecs ?? [];
			const sorted = [...codecs.filter((c) => c.mimeType.toLowerCase() === want),
				...codecs.filter((c) => c.mimeType.toLowerCase() !== want)];
			try {
				if (sorted.length > 0 && transceiver.setCodecPreferences)
					transceiver.setCodecPreferences(sorted);
			} catch {
				// a browser without preferences offers its own order
			}
		}
	}

	_sendCandidate(peer, pc, message) {
		if (peer.pc !== pc || this.state !== 'open')
			return;
		this._request(message).catch((e) => {
			if (e.code !== 'network')
				this._emitError(e);
		});
	}

	async _onAnswer(message) {
		const peer = this._peers.get(message.peer);
		if (!peer?.pc)
			return;
		const pc = peer.pc;
		try {
			await pc.setRemoteDescription({ type: 'answer', sdp: message.sdp });
			peer.answered = true;
			for (const c of peer.remoteCandidates.splice(0))
				await pc.addIceCandidate(c);
		} catch (e) {
			this._emitError(new CivicBridgeError('invalid_request', `the daemon's answer cannot be used: ${e.message}`, peer.handle));
		}
	}

	async _onCandidate(message) {
		const peer = this._peers.get(message.peer);
		if (!peer?.pc)
			return;
		const candidate = { candidate: message.candidate ?? '', sdpMLineIndex: message.mline ?? 0 };
		if (!peer.answered) {
			peer.remoteCandidates.push(candidate);
			return;
		}
		try {
			await peer.pc.addIceCandidate(candidate);
		} catch (e) {
			// one unusable candidate leaves the others
			console.debug(`civic-bridge: candidate ignored: ${e.message}`);
		}
	}

	_onTrack(peer, pc, track) {
		if (peer.pc !== pc)
			return;
		for (const old of peer.stream.getTracks().filter((t) => t.kind === track.kind)) {
			peer.stream.removeTrack(old);
			old.stop();
		}
		peer.stream.addTrack(track);
		this._emit('track', { handle: peer.handle, slot: peer.slot, track, stream: peer.stream });
	}

	_onPcState(peer, pc) {
		if (peer.pc !== pc)
			return;
		this._emit('peer-state', { handle: peer.handle, slot: peer.slot, publisher: peer.publisher, state: pc.connectionState, source: 'browser' });
		// no ICE restart on the daemon: a lost path gets a new connection
		if (pc.connectionState === 'failed' && this.state === 'open')
			this._restart(peer, true);
	}

	_onPeerLeft(message) {
		const peer = this._peers.get(message.peer);
		if (!peer || peer.leaving)
			return;
		peer.joined = false;
		this._closePc(peer);
		if (FINAL_REASONS.has(message.reason)) {
			this._peers.delete(peer.handle);
			this._emit('peer-left', { handle: peer.handle, slot: peer.slot, reason: message.reason });
			return;
		}
		this._emit('peer-state', { handle: peer.handle, slot: peer.slot, publisher: peer.publisher, state: message.reason, source: 'daemon' });
		this._restart(peer, false);
	}

	// a peer made again: leave (if the daemon still has it), join, new offer
	async _restart(peer, leaveFirst) {
		if (peer.starting || this._peers.get(peer.handle) !== peer)
			return;
		peer.starting = true;
		this._closePc(peer);
		const delay = Math.min(this.options.backoffMaxMs, this.options.backoffMinMs * 2 ** peer.failures);
		peer.failures++;
		if (leaveFirst && peer.joined) {
			peer.joined = false;
			await this._leaveQuietly(peer);
		}
		this._later(peer.failures > 1 ? delay : 0, async () => {
			peer.starting = false;
			if (this._peers.get(peer.handle) !== peer || this.state !== 'open')
				return;
			try {
				await this._start(peer, true);
			} catch (e) {
				if (e.code === 'network')
					return; // _restore() takes it up after the reconnection
				if (peer.wait && e.code === 'not_found') {
					this._retryLater(peer);
					return;
				}
				this._peers.delete(peer.handle);
				this._emitError(e);
				this._emit('peer-left', { handle: peer.handle, slot: peer.slot, reason: e.code });
			}
		});
	}

	// leaves on the daemon without telling the page: the peer is made again
	// or was never usable
	async _leaveQuietly(peer) {
		peer.leaving = true;
		try {
			await this._request({ type: 'leave', peer: peer.handle });
		} catch {
			// gone already
		} finally {
			peer.leaving = false;
		}
	}

	_retryLater(peer) {
		this._peers.set(peer.handle, peer);
		this._later(this.options.subscribeRetryMs, async () => {
			if (this._peers.get(peer.handle) !== peer || peer.joined || peer.starting)
				return;
			if (this.state !== 'open')
				return; // _restore() takes it up after the reconnection
			try {
				await this._start(peer, true);
			} catch (e) {
				if (e.code === 'network')
					return; // _restore() takes it up after the reconnection
				if (e.code === 'not_found')
					this._retryLater(peer);
				else {
					this._peers.delete(peer.handle);
					this._emitError(e);
				}
			}
		});
	}

	_closePc(peer) {
		if (peer.pc) {
			peer.pc.onicecandidate = null;
			peer.pc.onconnectionstatechange = null;
			peer.pc.ontrack = null;
			peer.pc.close();
			peer.pc = null;
		}
		peer.answered = false;
		peer.remoteCandidates = [];
	}

	_dropPeer(peer) {
		this._closePc(peer);
		this._peers.delete(peer.handle);
		peer.leaving = true;
		if (!peer.publisher && peer.stream)
			for (const track of peer.stream.getTracks())
				track.stop();
	}
}
