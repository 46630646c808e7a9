// The ticket page: the ticket as the daemon tells it over the WebSocket
// (its first message after hello, then every change in its line), the call
// (ring, "join now", the camera preview, the countdown to no-show), the
// reception itself once admitted, and the end of the ticket.
import { CivicBridgeClient } from '../civic-bridge-client.js';
import { Api } from '../app/api.js';
import { $, announce, showAlert, showError } from '../app/dom.js';
import { onLanguageChange, t } from '../app/i18n.js';
import { followRecording } from '../app/recording-notice.js';
import { CitizenMedia } from './media.js';
import { ring } from './sound.js';
import { minutes, word } from './ticket-strings.js';

const ENDED = ['done', 'refused', 'cancelled', 'no_show'];
const CANCELLABLE = ['waiting', 'called', 'deferred'];

// the media line, which follows the language switch (translate() redraws
// data-i18n elements); null empties it
function say(key) {
	const out = $('#media-state');
	if (key)
		out.dataset.i18n = key;
	else
		delete out.dataset.i18n;
	out.textContent = key ? t(key) : '';
}

function show(id, visible) {
	$(`#${id}`).hidden = !visible;
}

export class TicketPage {
	/** @onBadLink(error): the token or ticket was refused; @onRegisterAgain(). */
	constructor({ id, token, onBadLink, onRegisterAgain }) {
		this.id = id;
		this.token = token;
		this.api = new Api(token);
		this.client = new CivicBridgeClient();
		this.media = new CitizenMedia(this.client);
		// the citizen is told the session is recorded once in the room
		followRecording(this.client, $('#recording-notice'), () => this.ticket?.session_id);
		this.ticket = null;
		this.ready = false; // "join now" pressed
		this.rungFor = null;
		this.timer = null;
		this.onBadLink = onBadLink;
		this.onRegisterAgain = onRegisterAgain;
		this.unhook = new AbortController();
		this._wire();
	}

	_wire() {
		this.client.addEventListener('message', (e) => {
			const m = e.detail;
			// the token opens its own ticket only: what the daemon sends is it
			if (m.type === 'ticket' && m.ticket)
				this.render(m.ticket);
			else if (m.type === 'session' && m.session?.id === this.ticket?.session_id)
				this.render({ ...this.ticket, session_state: m.session.state });
		});
		this.client.addEventListener('connection', (e) => this._connection(e.detail.state));
		this.client.addEventListener('error', (e) => this._failed(e.detail));
		// the buttons outlive this ticket (register again): stop() unhooks them
		const signal = this.unhook.signal;
		$('#join-now').addEventListener('click', () => this._joinNow(), { signal });
		$('#unmute').addEventListener('click', () => this.media.unmute(), { signal });
		$('#retry-camera').addEventListener('click', () => this._joinNow(), { signal });
		$('#cancel').addEventListener('click', () => {
			show('cancel-confirm', true);
			announce(t('wr.cancel_ask'));
			$('#cancel-confirm').focus();
		}, { signal });
		$('#cancel-confirm').addEventListener('click', () => this._cancel(), { signal });
		$('#register-again').addEventListener('click', () => this.onRegisterAgain(), { signal });
		onLanguageChange(() => !signal.aborted && this.ticket && this.render(this.ticket, true));
		window.civicBridgeWaitingRoom = this; // what the browser tests read
	}

	/** Shows @first (the registration's answer), then follows the ticket
	 * live: the daemon sends it right after the WebSocket's hello and at
	 * every change. The token is tried on the WebSocket first: a refused one
	 * closes it quietly, where a refused HTTP request would also be logged
	 * in the browser's console. */
	async start(first = null) {
		$('#ticket-view').hidden = false;
		$('#ticket-number').textContent = this.id ? `#${this.id}` : '';
		if (first)
			this.render(first);
		try {
			await this.client.connect(null, this.token);
		} catch (e) {
			if (e.code === 'unauthenticated') {
				this.onBadLink(e);
				return false;
			}
			showError(e);
			// no WebSocket (a proxy may refuse it): at least the ticket as it is now
			if (!this.ticket)
				this.api.get('/me/ticket').then((ticket) => this.render(ticket), (error) => this._failed(error));
		}
		return true;
	}

	_connection(state) {
		const out = $('#connection');
		out.dataset.state = state;
		out.textContent = t(`connection.${state}`);
		if (state === 'reconnecting')
			showAlert('wr.lost', {}, 'closed');
		else if (state === 'open' && $('#error').dataset.code === 'closed')
			showAlert(null);
	}

	_failed({ code, message, handle }) {
		if (code === 'unauthenticated' && !handle) {
			this.stop();
			this.onBadLink({ code });
			return;
		}
		showError({ code, message });
	}

	/** Draws @ticket; @redraw only refreshes the words (language switch). */
	render(ticket, redraw = false) {
		if (this.unhook.signal.aborted)
			return; // an answer that came after the page left this ticket
		const before = this.ticket;
		this.ticket = ticket;
		this.id ??= ticket.id;
		$('#ticket-number').textContent = `#${ticket.id}`;
		const waiting = ticket.state === 'waiting';
		const state = $('#ticket-state');
		state.dataset.state = ticket.state;
		state.textContent = word('ticket', ticket.state);
		$('#position').textContent = waiting && ticket.position ? String(ticket.position) : '—';
		$('#estimated-wait').textContent = waiting ? minutes(ticket.estimated_wait_seconds) : '—';
		const session = $('#session-state');
		session.dataset.state = ticket.session_state ?? 'none';
		session.textContent = word('session', ticket.session_state);
		this._message(ticket);
		show('cancel', CANCELLABLE.includes(ticket.state));
		if (!CANCELLABLE.includes(ticket.state))
			show('cancel-confirm', false);
		show('register-again', ENDED.includes(ticket.state));
		document.body.dataset.ready = 'true';
		if (redraw)
			return;
		if (waiting && ticket.position && ticket.position !== before?.position)
			announce(t('wr.ticket.position_changed', { position: ticket.position }));
		this._stage(ticket, before);
	}

	_message(ticket) {
		let text = null;
		if (ticket.state === 'refused')
			text = ticket.refuse_reason ? t('wr.end.refused', { reason: word('refuse', ticket.refuse_reason) }) : t('wr.end.refused_plain');
		else if (ENDED.includes(ticket.state))
			text = t(`wr.end.${ticket.state}`);
		else if (ticket.state === 'deferred')
			text = t('wr.deferred');
		else if (ticket.state === 'waiting' && !ticket.session_id)
			text = t('wr.next_session');
		else if (ticket.state === 'called' && this.ready)
			text = t('wr.call.ready');
		const box = $('#ticket-message');
		box.hidden = text === null;
		box.textContent = text ?? '';
		box.dataset.state = ticket.state;
	}

	// what the call, the reception and the end change on the page
	_stage(ticket, before) {
		const called = ticket.state === 'called';
		const admitted = ticket.state === 'admitted';
		show('call', called);
		show('join-now', (called && !this.ready) || (admitted && !this.media.joined));
		if (called)
			this._called(ticket);
		else
			this._stopCountdown();
		if (admitted && this.ready)
			this._join();
		if (!called && !admitted) {
			this.ready = false;
			if (this.media.camera || this.media.joined)
				this.media.stop();
			say(null);
			show('retry-camera', false);
		}
	}

	_called(ticket) {
		if (this.rungFor !== ticket.called_at) {
			this.rungFor = ticket.called_at;
			const played = ring();
			$('#call').dataset.sound = played ? 'played' : 'blocked';
			show('sound-note', !played);
			announce(t('wr.call.announce'));
			$('#join-now').focus();
			this._preview();
		}
		this._startCountdown(ticket.answer_by);
	}

	async _preview() {
		try {
			await this.media.preview();
			show('retry-camera', false);
		} catch (e) {
			show('retry-camera', true);
			showError(e);
		}
	}

	_startCountdown(answerBy) {
		this._stopCountdown();
		const deadline = Date.parse(answerBy ?? '');
		const out = $('#countdown');
		if (Number.isNaN(deadline)) {
			out.textContent = '—';
			return;
		}
		const tick = () => {
			const left = Math.max(0, Math.ceil((deadline - Date.now()) / 1000));
			out.dataset.seconds = String(left);
			out.textContent = `${Math.floor(left / 60)}:${String(left % 60).padStart(2, '0')}`;
		};
		tick();
		this.timer = setInterval(tick, 500);
	}

	_stopCountdown() {
		clearInterval(this.timer);
		this.timer = null;
	}

	_joinNow() {
		this.ready = true;
		this.media.meter(); // the click allows sound: the microphone's level can show
		show('join-now', false);
		if (this.ticket?.state === 'admitted')
			this._join();
		else {
			this._preview();
			this._message(this.ticket);
		}
	}

	async _join() {
		say('wr.media.joining');
		try {
			await this.media.join(this.ticket.session_id);
			say('wr.media.joined');
			show('retry-camera', false);
			show('join-now', false);
		} catch (e) {
			say(null);
			show('retry-camera', true);
			showError(e);
		}
	}

	async _cancel() {
		show('cancel-confirm', false);
		try {
			this.render(await this.api.post(`/tickets/${this.ticket.id}/cancel`));
		} catch (e) {
			showError(e);
		}
	}

	stop() {
		this.unhook.abort();
		this._stopCountdown();
		this.media.stop();
		this.client.close();
	}
}
