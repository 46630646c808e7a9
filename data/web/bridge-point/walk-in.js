// A citizen who walked in at the bridge point, registered by its operator
// (POST /api/v1/tickets: channel walk-in, the operator's own bridge point,
// which the daemon takes from the token) into the chosen session's line.
import { $, announce, showAlert, showError } from '../app/dom.js';
import { t } from '../app/i18n.js';
import { readTicketForm } from '../waiting-room/register.js';

/** Wires the form; @sessionId() is the chosen session (or null: the
 * daemon's choice), @onAdded(ticket) follows a registration. */
export function mountWalkIn(api, sessionId, onAdded) {
	const form = $('#walk-in');
	form.addEventListener('submit', async (event) => {
		event.preventDefault();
		showAlert(null);
		let body;
		try {
			body = { ...readTicketForm('wi-'), channel: 'walk-in' };
		} catch (e) {
			showError(e);
			$(`#${e.field}`).focus();
			return;
		}
		const session = sessionId();
		if (session)
			body.session_id = session;
		$('#walk-in-submit').disabled = true;
		try {
			const ticket = await api.post('/tickets', body);
			form.reset();
			announce(t('bp.walk_in.done', { id: ticket.id }));
			onAdded(ticket);
		} catch (e) {
			showError(e);
		} finally {
			$('#walk-in-submit').disabled = false;
		}
	});
}
