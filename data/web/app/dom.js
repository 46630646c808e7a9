// Small DOM helpers the pages share.
import { errorMessage } from './api.js';
import { onLanguageChange, t } from './i18n.js';

/** An element: h('button', { type: 'button', onclick: f }, 'text', child). */
export function h(tag, attrs = {}, ...children) {
	const element = document.createElement(tag);
	for (const [name, value] of Object.entries(attrs ?? {})) {
		if (value === null || value === undefined || value === false)
			continue;
		if (name.startsWith('on') && typeof value === 'function')
			element.addEventListener(name.slice(2), value);
		else if (name === 'dataset')
			Object.assign(element.dataset, value);
		else if (value === true)
			element.setAttribute(name, '');
		else
			element.setAttribute(name, String(value));
	}
	for (const child of children.flat()) {
		if (child === null || child === undefined || child === false)
			continue;
		element.append(child instanceof Node ? child : String(child));
	}
	return element;
}

export const $ = (selector, root = document) => root.querySelector(selector);

/** Says @text to screen readers through the page's polite live region
 * (an element with id "announcer" and aria-live="polite"). */
export function announce(text) {
	const region = document.getElementById('announcer');
	if (!region)
		return;
	region.textContent = '';
	// a new text node in a separate task is what makes readers speak again
	setTimeout(() => {
		region.textContent = text;
	}, 50);
}

// what the alert box says, kept as a message so a language switch redraws it
let alert = null;

function drawAlert() {
	const box = document.getElementById('error');
	if (!box)
		return;
	box.hidden = alert === null;
	box.textContent = alert === null ? '' : t(alert.key, alert.vars);
	if (alert?.code)
		box.dataset.code = alert.code;
	else
		delete box.dataset.code;
	if (alert)
		box.dataset.key = alert.key;
	else
		delete box.dataset.key;
}

onLanguageChange(drawAlert);

/** Shows the message @key (an i18n key, with @vars: values or messages
 * { key, vars }) in the page's alert box (id "error", role="alert"), in the
 * page's language now and after every switch; null hides it. */
export function showAlert(key, vars = {}, code = null) {
	alert = key === null ? null : { key, vars: vars ?? {}, code };
	drawAlert();
}

/** Shows the plain message of @error (errorMessage()) in the alert box. */
export function showError(error) {
	const { key, vars } = errorMessage(error);
	showAlert(key, vars, error?.code ?? 'other');
}

/** A token and other values from the URL's fragment ("#token=...&x=y"),
 * which never reaches a server or its logs; the token is then taken out of
 * the address bar so it is not left on screen or in the history. */
export function takeFragment() {
	const params = new URLSearchParams(location.hash.slice(1));
	const values = Object.fromEntries(params.entries());
	if (values.token) {
		params.delete('token');
		const rest = params.toString();
		history.replaceState(null, '', location.pathname + (rest ? `#${rest}` : ''));
	}
	return values;
}

/** Local time of an ISO 8601 instant, for the page's language. */
export function formatTime(iso, lang, options = { hour: '2-digit', minute: '2-digit' }) {
	const date = new Date(iso);
	if (Number.isNaN(date.getTime()))
		return '';
	return date.toLocaleString(lang === 'vi' ? 'vi-VN' : 'en-GB', options);
}
