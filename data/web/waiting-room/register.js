// The registration form: exactly the members POST /api/v1/register takes
// (the daemon puts the ticket in the live or open session's line, else in
// the next session's), checked here first so that a citizen hears what to
// fix in their language, and again by the daemon.
import { Api } from '../app/api.js';
import { $, showAlert, showError } from '../app/dom.js';

const LARGE_GROUP = 5; // [queue] large-group-min's default: when representatives apply
const MAX_PERSONS = 200; // [queue] max-persons' default
const MAX_REPRESENTATIVES = 5; // CB_TICKET_MAX_REPRESENTATIVES
// the daemon's limits (src/cb-queue-private.h), in characters: field → max
const MAX_LENGTH = {
	summary: 2000, citizen_name: 200, address: 500, contact: 200, already_handled_by: 500,
};

// the value of the field @name of the form whose ids start with @prefix
function text(prefix, name) {
	const element = document.getElementById(`${prefix}${name}`);
	const value = element ? element.value.trim() : '';
	return value === '' ? undefined : value;
}

// a form's complaint: the message (naming the field in the page's language)
// and the id of the input to focus
function invalid(prefix, id, key, vars = {}) {
	return { key, vars, field: `${prefix}${id}`, code: 'invalid_request' };
}

function checkLength(prefix, body, id, field, max = MAX_LENGTH[field]) {
	const value = body[field];
	const length = value === undefined ? 0 : [...value].length;
	if (length > max) {
		throw invalid(prefix, id, 'form.too_long',
			{ field: { key: `field.${field}` }, max, length });
	}
}

/** The body of a registration from the form whose field ids start with
 * @prefix ('' for the waiting room, 'wi-' for a walk-in), or throws
 * {key, vars, field} naming the first thing to fix, in the checks the
 * daemon makes, so that a citizen never meets its English sentence. */
export function readTicketForm(prefix = '') {
	const persons = Number(text(prefix, 'persons') ?? 1);
	if (!Number.isInteger(persons) || persons < 1 || persons > MAX_PERSONS) {
		throw invalid(prefix, 'persons', 'form.range',
			{ field: { key: 'field.persons' }, min: 1, max: MAX_PERSONS });
	}
	const summary = text(prefix, 'summary');
	if (!summary)
		throw invalid(prefix, 'summary', 'form.required', { field: { key: 'field.summary' } });
	const bp = text(prefix, 'bridge-point');
	if (bp !== undefined && !/^[1-9][0-9]{0,15}$/.test(bp))
		throw invalid(prefix, 'bridge-point', 'wr.invalid.bridge_point');
	const idNumber = text(prefix, 'id-number');
	if (idNumber !== undefined && !/^[A-Za-z0-9]{1,20}$/.test(idNumber))
		throw invalid(prefix, 'id-number', 'wr.invalid.id_number');
	const representatives = persons >= LARGE_GROUP
		? (text(prefix, 'representatives') ?? '').split('\n').map((s) => s.trim()).filter((s) => s !== '')
		: [];
	if (representatives.length > MAX_REPRESENTATIVES) {
		throw invalid(prefix, 'representatives', 'form.too_many',
			{ field: { key: 'field.representatives' }, max: MAX_REPRESENTATIVES });
	}
	for (const name of representatives)
		checkLength(prefix, { representatives: name }, 'representatives', 'representatives', 200);
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
	for (const field of Object.keys(MAX_LENGTH))
		checkLength(prefix, body, field.replaceAll('_', '-'), field);
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
			showError(e);
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
			showError(e);
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
