// The bridge point's own tickets, as the daemon gives them to an operator:
// their bridge point's only, without a denouncer's identity, a citizen's
// contact or staff's notes (GET /api/v1/tickets).
import { $, h } from '../app/dom.js';
import { word } from '../waiting-room/ticket-strings.js';

export class TicketTable {
	constructor(api) {
		this.api = api;
		this.items = [];
		this.pending = null;
	}

	/** Reads the tickets of @sessionId (all sessions: null) and draws them. */
	async refresh(sessionId) {
		const query = sessionId ? `?session=${sessionId}` : '';
		const answer = await this.api.get(`/tickets${query}`);
		this.items = answer.items ?? [];
		this.draw();
	}

	/** A refresh soon, once for a burst of queue events. */
	refreshSoon(sessionId, onError) {
		clearTimeout(this.pending);
		this.pending = setTimeout(() => this.refresh(sessionId).catch(onError), 100);
	}

	draw() {
		const rows = this.items.map((ticket) => h('tr', { dataset: { ticketId: ticket.id, state: ticket.state } },
			h('td', {}, String(ticket.id)),
			h('td', {}, word('ticket', ticket.state)),
			h('td', {}, ticket.position ? String(ticket.position) : '—'),
			h('td', {}, word('category', ticket.category)),
			h('td', {}, ticket.summary ?? ''),
			h('td', {}, String(ticket.persons ?? '')),
			h('td', {}, word('channel', ticket.channel))));
		$('#tickets tbody').replaceChildren(...rows);
		$('#tickets-empty').hidden = rows.length > 0;
	}
}
