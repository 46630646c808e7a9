// The sessions of today and the next two weeks: open, start, end, cancel,
// move an occurrence of a series, and choose the one the console runs.
import { t, language } from '../app/i18n.js';
import { h, $, formatTime, announce } from '../app/dom.js';
import { ask } from './form.js';

const DAYS_AHEAD = 14;

/** YYYY-MM-DD of the browser's day, @offset days on. */
export function isoDay(offset = 0) {
	const d = new Date();
	d.setDate(d.getDate() + offset);
	const pad = (n) => String(n).padStart(2, '0');
	return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

// the buttons a session in @state offers
function actionsFor(session) {
	const actions = [];
	if (['scheduled', 'open', 'live'].includes(session.state))
		actions.push('select');
	if (session.state === 'scheduled')
		actions.push('open');
	if (session.state === 'open')
		actions.push('start');
	if (session.state === 'live')
		actions.push('end');
	if (session.state === 'scheduled' && session.series_id)
		actions.push('move');
	if (session.state === 'scheduled' || session.state === 'open')
		actions.push('cancel');
	return actions;
}

// "2026-12-15T08:00" for a datetime-local input, in the browser's zone
function localInputValue(iso) {
	const d = new Date(iso);
	const pad = (n) => String(n).padStart(2, '0');
	return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

export class Sessions {
	constructor(ctx) {
		this.ctx = ctx;
		this.items = new Map();
	}

	async load() {
		const list = await this.ctx.api.get(`/sessions?from=${isoDay(0)}&to=${isoDay(DAYS_AHEAD)}`);
		this.items.clear();
		for (const session of list.items ?? [])
			this.items.set(session.id, session);
		this.render();
		return [...this.items.values()];
	}

	get(id) {
		return this.items.get(id) ?? null;
	}

	/** A session from the WebSocket or an action's answer. */
	update(session) {
		if (!session?.id)
			return;
		this.items.set(session.id, session);
		this.render();
		this.ctx.sessionChanged(session);
	}

	/** The session to run when none is chosen: a live one, else an open one. */
	pick() {
		const all = [...this.items.values()];
		return all.find((s) => s.state === 'live') ?? all.find((s) => s.state === 'open') ?? null;
	}

	render() {
		const body = $('#sessions tbody');
		const sessions = [...this.items.values()].sort((a, b) => String(a.starts_at).localeCompare(String(b.starts_at)));
		body.replaceChildren(...sessions.map((s) => this.row(s)));
		$('#sessions-empty').hidden = sessions.length > 0;
	}

	row(session) {
		const lang = language();
		const day = formatTime(session.starts_at, lang, { weekday: 'short', day: '2-digit', month: '2-digit' });
		const time = `${formatTime(session.starts_at, lang)}–${formatTime(session.ends_at, lang)}`;
		const chosen = this.ctx.sessionId === session.id;
		const buttons = actionsFor(session).map((action) => h('button', {
			type: 'button',
			class: action === 'select' || action === 'cancel' || action === 'move' ? 'secondary' : null,
			dataset: { action },
			'aria-pressed': action === 'select' ? String(chosen) : null,
			onclick: () => this.act(session.id, action),
		}, t(`console.session.${action}`)));
		return h('tr', { dataset: { sessionId: session.id, state: session.state }, class: chosen ? 'chosen' : null },
			h('td', {}, day, h('br'), time),
			h('td', {}, session.title ?? '', h('br'), h('small', {}, t(`console.kind.${session.kind}`))),
			h('td', {}, h('span', { class: 'state', dataset: { state: session.state } }, t(`console.session_state.${session.state}`)),
				session.cancel_reason ? h('small', {}, ` (${session.cancel_reason})`) : null),
			h('td', {}, h('div', { class: 'actions' }, buttons)));
	}

	async act(id, action) {
		const session = this.items.get(id);
		if (!session)
			return;
		if (action === 'select') {
			this.ctx.selectSession(id);
			return;
		}
		try {
			let answer = null;
			if (action === 'cancel')
				answer = await this.cancel(session);
			else if (action === 'move')
				answer = await this.move(session);
			else
				answer = await this.ctx.api.post(`/sessions/${id}/${action}`);
			if (answer === null)
				return;
			// an occurrence's answer is not the session: read the session again
			const fresh = answer.state && answer.id === id ? answer : await this.ctx.api.get(`/sessions/${id}`);
			this.update(fresh);
			announce(t(`console.session.done.${action}`, { title: session.title ?? id }));
			if (action === 'start')
				this.ctx.selectSession(id);
		} catch (e) {
			this.ctx.fail(e);
		}
	}

	async cancel(session) {
		const values = await ask(t('console.session.cancel_title', { title: session.title ?? session.id }), [
			{ name: 'reason', label: t('console.form.reason'), required: true, maxlength: 500 },
		]);
		if (!values)
			return null;
		if (session.series_id && session.occurrence_start)
			return this.ctx.api.post(`/series/${session.series_id}/occurrences/${session.occurrence_start}/cancel`, { reason: values.reason });
		return this.ctx.api.post(`/sessions/${session.id}/cancel`, { reason: values.reason });
	}

	async move(session) {
		const values = await ask(t('console.session.move_title', { title: session.title ?? session.id }), [
			{ name: 'starts_at', label: t('console.form.new_start'), type: 'datetime-local', required: true, value: localInputValue(session.starts_at) },
			{ name: 'reason', label: t('console.form.reason'), required: true, maxlength: 500 },
		]);
		if (!values)
			return null;
		const start = new Date(values.starts_at);
		if (Number.isNaN(start.getTime()))
			throw Object.assign(new Error('bad time'), { code: 'invalid_request', key: 'console.form.bad_time' });
		return this.ctx.api.post(`/series/${session.series_id}/occurrences/${session.occurrence_start}/move`,
			{ starts_at: start.toISOString().replace(/\.\d{3}Z$/, 'Z'), reason: values.reason });
	}
}
