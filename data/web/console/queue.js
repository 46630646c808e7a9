// The waiting queue of the chosen session: live from the WebSocket's
// `queue` messages, filtered by category, bridge point and state, and the
// ticket actions (call, admit, finish with the reception book's fields,
// defer, refuse with a reason code, move).
import { t, language } from '../app/i18n.js';
import { h, $, formatTime, announce } from '../app/dom.js';
import { ask } from './form.js';

export const CATEGORIES = ['complaint', 'denunciation', 'recommendation', 'reflection'];
const LINE_STATES = ['waiting', 'called', 'admitted'];
const OTHER_STATES = ['done', 'refused', 'deferred', 'no_show', 'cancelled'];
const HANDLINGS = ['accepted', 'guided', 'forwarded'];
// the daemon's default [queue] refuse-reasons; another office's list is
// named by the daemon's error when a code is not in it
const REFUSE_REASONS = ['not-competent', 'already-resolved', 'abusive', 'incomplete'];

function actionsFor(state) {
	switch (state) {
	case 'waiting': return ['call', 'move', 'defer', 'refuse'];
	case 'called': return ['admit', 'defer', 'refuse'];
	case 'admitted': return ['finish', 'refuse'];
	default: return [];
	}
}

export class Queue {
	constructor(ctx) {
		this.ctx = ctx;
		this.line = [];       // the session's line (waiting, called, admitted)
		this.others = null;   // tickets in a state outside the line, when filtered so
		this.sessionId = null;
		this.serial = 0;
	}

	mountFilters() {
		for (const id of ['#filter-category', '#filter-bridge-point', '#filter-state'])
			$(id).addEventListener('change', () => this.filterChanged());
		this.renderFilters();
	}

	renderFilters() {
		const keep = (id) => $(id).value;
		const category = keep('#filter-category');
		const bp = keep('#filter-bridge-point');
		const state = keep('#filter-state');
		$('#filter-category').replaceChildren(h('option', { value: '' }, t('console.filter.all')),
			...CATEGORIES.map((c) => h('option', { value: c }, t(`console.category.${c}`))));
		$('#filter-bridge-point').replaceChildren(h('option', { value: '' }, t('console.filter.all')),
			h('option', { value: 'hall' }, t('console.hall')),
			...[...this.ctx.bridgePoints.values()].map((b) => h('option', { value: String(b.id) }, b.name)));
		$('#filter-state').replaceChildren(h('option', { value: '' }, t('console.filter.in_line')),
			...[...LINE_STATES, ...OTHER_STATES].map((s) => h('option', { value: s }, t(`console.ticket_state.${s}`))));
		$('#filter-category').value = category;
		$('#filter-bridge-point').value = bp;
		$('#filter-state').value = state;
	}

	async show(sessionId) {
		this.sessionId = sessionId;
		this.line = [];
		this.others = null;
		if (sessionId === null) {
			this.render();
			return;
		}
		const queue = await this.ctx.api.get(`/sessions/${sessionId}/queue`);
		if (this.sessionId === sessionId)
			this.line = queue.items ?? [];
		await this.filterChanged();
	}

	/** A `queue` message of the WebSocket. */
	update(queue) {
		if (queue?.session_id !== this.sessionId)
			return;
		this.line = queue.items ?? [];
		if (OTHER_STATES.includes($('#filter-state').value))
			this.filterChanged(); // a ticket may have left the line into it
		else
			this.render();
	}

	async filterChanged() {
		const state = $('#filter-state').value;
		// an answer for an older filter or session is dropped, not drawn
		const serial = ++this.serial;
		let others = null;
		if (OTHER_STATES.includes(state) && this.sessionId !== null) {
			const query = new URLSearchParams({ session: String(this.sessionId), state });
			try {
				others = (await this.ctx.api.get(`/tickets?${query}`)).items ?? [];
			} catch (e) {
				if (serial === this.serial)
					this.ctx.fail(e);
				others = [];
			}
		}
		if (serial !== this.serial)
			return;
		this.others = others;
		this.render();
	}

	visible() {
		const category = $('#filter-category').value;
		const bp = $('#filter-bridge-point').value;
		const state = $('#filter-state').value;
		const list = this.others ?? this.line;
		return list.filter((ticket) => (!category || ticket.category === category) &&
			(!bp || (bp === 'hall' ? !ticket.bridge_point_id : String(ticket.bridge_point_id) === bp)) &&
			(!state || ticket.state === state));
	}

	render() {
		const rows = this.sessionId === null ? [] : this.visible().map((ticket) => this.row(ticket));
		$('#queue tbody').replaceChildren(...rows);
		$('#queue-empty').hidden = rows.length > 0;
	}

	row(ticket) {
		const lang = language();
		const who = ticket.citizen_name ?? t('console.queue.no_name');
		const extra = [];
		if (ticket.persons > 1)
			extra.push(t('console.queue.persons', { n: ticket.persons }));
		if (ticket.representatives?.length)
			extra.push(t('console.queue.representatives', { names: ticket.representatives.join(', ') }));
		if (ticket.priority && ticket.priority !== 'none')
			extra.push(t(`console.priority.${ticket.priority}`));
		const place = ticket.bridge_point_id ? this.ctx.bridgePoints.get(ticket.bridge_point_id)?.name ?? `#${ticket.bridge_point_id}` : t('console.hall');
		const wait = ticket.estimated_wait_seconds != null ? t('console.queue.wait', { minutes: Math.round(ticket.estimated_wait_seconds / 60) }) : '';
		const buttons = actionsFor(ticket.state).map((action) => h('button', {
			type: 'button',
			class: action === 'refuse' ? 'danger' : action === 'call' || action === 'admit' || action === 'finish' ? null : 'secondary',
			dataset: { action },
			'aria-label': `${t(`console.ticket.${action}`)} ${t('console.queue.ticket_no', { id: ticket.id })}`,
			onclick: () => this.act(ticket, action),
		}, t(`console.ticket.${action}`)));
		return h('tr', { dataset: { ticketId: ticket.id, state: ticket.state, category: ticket.category } },
			h('td', {}, ticket.position ?? '–', h('br'), h('small', {}, `#${ticket.id}`)),
			h('td', {}, who, extra.length ? h('br') : null, extra.length ? h('small', {}, extra.join(' · ')) : null),
			h('td', {}, h('strong', {}, t(`console.category.${ticket.category}`)), h('br'), ticket.summary ?? ''),
			h('td', {}, place, h('br'), h('small', {}, t(`console.channel.${ticket.channel}`) + (ticket.created_at ? ` ${formatTime(ticket.created_at, lang)}` : ''))),
			h('td', {}, h('span', { class: 'state ticket-state', dataset: { state: ticket.state } }, t(`console.ticket_state.${ticket.state}`)),
				wait ? h('br') : null, wait ? h('small', {}, wait) : null),
			h('td', {}, h('div', { class: 'actions' }, buttons)));
	}

	async act(ticket, action) {
		try {
			const body = await this.bodyFor(ticket, action);
			if (body === null)
				return;
			const answer = await this.ctx.api.post(`/tickets/${ticket.id}/${action}`, body);
			announce(t(`console.ticket.done.${action}`, { id: ticket.id }));
			// the WebSocket brings the line; read it too, in case it is slow
			if (answer?.session_id === this.sessionId)
				await this.show(this.sessionId);
			this.ctx.ticketChanged(answer);
		} catch (e) {
			this.ctx.fail(e);
		}
	}

	// the request body of @action, asked for in the dialog; null: cancelled
	async bodyFor(ticket, action) {
		const title = `${t(`console.ticket.${action}`)} – ${t('console.queue.ticket_no', { id: ticket.id })}`;
		if (action === 'finish') {
			return ask(title, [
				{ name: 'handling', label: t('console.form.handling'), type: 'select', required: true,
					options: [['', t('console.form.choose')], ...HANDLINGS.map((x) => [x, t(`console.handling.${x}`)])] },
				{ name: 'follow_up', label: t('console.form.follow_up'), maxlength: 2000 },
				{ name: 'notes', label: t('console.form.notes'), type: 'textarea' },
			]);
		}
		if (action === 'refuse') {
			return ask(title, [
				{ name: 'reason', label: t('console.form.refuse_reason'), type: 'select', required: true,
					options: [['', t('console.form.choose')], ...REFUSE_REASONS.map((x) => [x, t(`console.refuse.${x}`)])] },
				{ name: 'notes', label: t('console.form.notes'), type: 'textarea' },
			]);
		}
		if (action === 'move') {
			const values = await ask(title, [
				{ name: 'position', label: t('console.form.position'), type: 'number', min: 1, step: 1, required: true, value: ticket.position ?? 1 },
				{ name: 'reason', label: t('console.form.reason'), required: true, maxlength: 200 },
			]);
			return values && { position: Number.parseInt(values.position, 10), reason: values.reason };
		}
		return undefined; // call, admit, defer: no body
	}
}
