// The registration form: exactly the members POST /api/v1/register takes
// (the daemon puts the ticket in the live or open session's line, else in
// the next session's), checked here first so that a citizen hears what to
// fix in their language, and again by the daemon.
import { Api, errorKey } from '../app/api.js';
import { $, showAlert } from '../app/dom.js';
import { t } from '../app/i18n.js';

const LARGE_GROUP = 5; // [queue] large-group-min's default: when representatives apply

// the value of the field @name of the form whose ids start with @prefix
function text(prefix, name) {
	const element = document.getElementById(`${prefix}${name}`);
	const value = element ? element.value.trim() : '';
	return value === '' ? undefined : value;
}

/** The body of a registration from the form whose field ids start with
 * @prefix ('' for the waiting room, 'wi-' for a walk-in), or throws
 * {key, field} naming the first thing to fix. */
export function readTicketForm(prefix = '') {
	const persons = Number(text(prefix, 'persons') ?? 1);
	if (!Number.isInteger(persons) || persons < 1 || persons > 200)
		throw { key: 'wr.invalid.persons', field: `${prefix}persons` };
	const summary = text(prefix, 'summary');
	if (!summary)
		throw { key: 'wr.invalid.summary', field: `${prefix}summary` };
	const bp = text(prefix, 'bridge-point');
	if (bp !== undefined && !/^[1-9][0-9]{0,15}$/.test(bp))
		throw { key: 'wr.invalid.bridge_point', field: `${prefix}bridge-point` };
	const idNumber = text(prefix, 'id-number');
	if (idNumber !== undefined && !/^[A-Za-z0-9]{1,20}$/.test(idNumber))
		throw { key: 'wr.invalid.id_number', field: `${prefix}id-number` };
	const representatives = persons >= LARGE_GROUP
		? (text(prefix, 'representatives') ?? '').split('\n').map((s) => s.trim()).filter((s) => s !== '')
		: [];
	const body = {
		category: text(prefix, 'category'),
		summary,
		persons,
		priority: text(prefix, 'priority'),
		citizen_name: text(prefix, 'citizen-name'),
		address: text(prefix, 'address'),
		id_number: idNumber,
		contact: text(prefix, 'contact'),
		already_handled_by: text(prefix, 'already-handled-by'),
	};
	if (representatives.length > 0)
		body.representatives = representatives;
	if (bp !== undefined)
		body.bridge_point_id = Number(bp);
	return body;
}

function showRepresentatives() {
	$('#representatives-group').hidden = !(Number($('#persons').value) >= LARGE_GROUP);
}

/** Wires the form; @onRegistered(ticket) gets the daemon's answer (with
 * its token, shown this once) after a successful registration. @beforeSend
 * runs inside the click, where a page may start its sound. */
export function mountRegister({ onRegistered, beforeSend }) {
	const form = $('#register-form');
	const button = $('#register');
	$('#persons').addEventListener('input', showRepresentatives);
	showRepresentatives();
	form.addEventListener('submit', async (event) => {
		event.preventDefault();
		beforeSend?.();
		showAlert(null);
		let body;
		try {
			body = { ...readTicketForm(), channel: 'online' };
		} catch (e) {
			showAlert(t(e.key), 'invalid_request');
			$(`#${e.field}`).focus();
			return;
		}
		button.disabled = true;
		try {
			const ticket = await new Api().post('/register', body);
			form.reset();
			showRepresentatives();
			onRegistered(ticket);
		} catch (e) {
			showAlert(t(errorKey(e), { detail: e.message }), e.code);
		} finally {
			button.disabled = false;
		}
	});
}

/** Fills the bridge point from a bridge point's own link ("#bp=4"). */
export function presetBridgePoint(id) {
	if (/^[1-9][0-9]{0,15}$/.test(id ?? ''))
		$('#bridge-point').value = id;
}
