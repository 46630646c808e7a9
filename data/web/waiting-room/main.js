// The citizen's waiting room: the registration form, or the ticket the
// citizen holds. A ticket comes from the link "#ticket=ID&token=TOKEN" (a
// fragment never reaches the server or its logs; the token is taken out of
// the address bar at once) or from localStorage, where it is kept so that
// coming back after closing the tab resumes the same ticket.
import '../app/strings.js';
import './strings.js';
import './ticket-strings.js';
import { $, announce, showAlert, showError, takeFragment } from '../app/dom.js';
import { mountLanguageSwitch, start, t } from '../app/i18n.js';
import { mountRegister, presetBridgePoint } from './register.js';
import { unlockOnGesture, unlockSound } from './sound.js';
import { TicketPage } from './ticket.js';

const STORAGE_KEY = 'civic-bridge.ticket';

function readSaved() {
	try {
		const saved = JSON.parse(localStorage.getItem(STORAGE_KEY) ?? 'null');
		if (saved && typeof saved.token === 'string' && saved.token !== '')
			return { id: Number(saved.id) || null, token: saved.token };
	} catch {
		// nothing kept, or storage refused
	}
	return null;
}

function save(ticket) {
	try {
		localStorage.setItem(STORAGE_KEY, JSON.stringify(ticket));
	} catch {
		// private mode: the link still works; only a return without it does not
	}
}

function forget() {
	try {
		localStorage.removeItem(STORAGE_KEY);
	} catch {
		// nothing to forget
	}
}

function linkOf({ id, token }) {
	return `${location.origin}${location.pathname}#ticket=${id}&token=${encodeURIComponent(token)}`;
}

let page = null;

function showRegister() {
	page?.stop();
	page = null;
	$('#ticket-view').hidden = true;
	$('#register-view').hidden = false;
	document.body.dataset.view = 'register';
	document.body.dataset.ready = 'true';
}

function registerAgain() {
	forget();
	showAlert(null);
	history.replaceState(null, '', location.pathname);
	showRegister();
	$('#category').focus();
}

function openTicket(held, first = null) {
	$('#register-view').hidden = true;
	document.body.dataset.view = 'ticket';
	$('#ticket-link').value = held.id ? linkOf(held) : '';
	$('#link-box').hidden = !held.id;
	page = new TicketPage({
		...held,
		onBadLink: (e) => {
			forget();
			history.replaceState(null, '', location.pathname);
			showRegister();
			showAlert('wr.bad_link', {}, e.code ?? 'unauthenticated');
		},
		onRegisterAgain: registerAgain,
	});
	page.start(first);
}

function main() {
	start();
	mountLanguageSwitch($('#lang'));
	unlockOnGesture();
	const fragment = takeFragment();
	presetBridgePoint(fragment.bp);
	let held = readSaved();
	if (fragment.token) {
		held = { id: Number(fragment.ticket) || null, token: fragment.token };
		save(held);
	}
	mountRegister({
		beforeSend: unlockSound,
		onRegistered: (ticket) => {
			const mine = { id: ticket.id, token: ticket.token };
			save(mine);
			history.replaceState(null, '', `${location.pathname}#ticket=${ticket.id}`);
			announce(t('wr.register.done', { id: ticket.id }));
			delete ticket.token;
			openTicket(mine, ticket);
		},
	});
	if (held)
		openTicket(held);
	else
		showRegister();
}

window.addEventListener('unhandledrejection', (e) => showError(e.reason));
main();
