// The console's one dialog: the fields an action needs (finish, refuse,
// move, cancel a session...), asked in a modal <dialog> so the keyboard
// stays in it, Escape closes it and focus comes back to the button.
import { h, $ } from '../app/dom.js';
import { t } from '../app/i18n.js';

let pending = null;

function field(spec) {
	const id = `field-${spec.name}`;
	let input;
	if (spec.type === 'select') {
		input = h('select', { id, name: spec.name, required: spec.required },
			spec.options.map(([value, label]) => h('option', { value }, label)));
	} else if (spec.type === 'textarea') {
		input = h('textarea', { id, name: spec.name, maxlength: spec.maxlength ?? 2000 });
	} else {
		input = h('input', {
			id, name: spec.name, type: spec.type ?? 'text', required: spec.required,
			min: spec.min, step: spec.step, maxlength: spec.maxlength,
		});
	}
	if (spec.value !== undefined)
		input.value = spec.value;
	input.dataset.label = spec.label;
	input.addEventListener('input', () => input.setCustomValidity(''));
	return h('div', {}, h('label', { for: id }, spec.label), input);
}

/** Asks for @fields ([{name, label, type, options, required, value}]) under
 * @title; resolves {name: value} (empty strings left out), or null when the
 * person cancels. */
export function ask(title, fields) {
	const dialog = $('#action-dialog');
	const opener = document.activeElement;
	$('#action-title').textContent = title;
	$('#action-fields').replaceChildren(...fields.map(field));
	return new Promise((resolve) => {
		pending = (values) => {
			pending = null;
			if (dialog.open)
				dialog.close();
			opener?.focus?.();
			resolve(values);
		};
		dialog.showModal();
		dialog.querySelector('input, select, textarea, button')?.focus();
	});
}

// what is wrong with @control, in the page's language ('' when nothing):
// the browser's own bubble would speak the browser's language instead
function complaint(control) {
	const field = control.dataset.label ?? control.name;
	const value = control.value.trim();
	if (value === '')
		return control.required ? t('form.required', { field }) : '';
	const max = Number(control.getAttribute('maxlength'));
	if (max > 0 && [...value].length > max)
		return t('form.too_long', { field, max, length: [...value].length });
	if (control.type === 'number') {
		const min = control.getAttribute('min');
		if (!/^-?[0-9]+$/.test(value) || (min !== null && Number(value) < Number(min)))
			return t('form.min', { field, min: min ?? 0 });
	}
	return '';
}

export function mountDialog() {
	const dialog = $('#action-dialog');
	const form = $('#action-form');
	form.addEventListener('submit', (event) => {
		event.preventDefault();
		for (const control of form.querySelectorAll('input, select, textarea'))
			control.setCustomValidity(complaint(control));
		if (!form.reportValidity())
			return;
		const values = {};
		for (const [name, value] of new FormData(form).entries()) {
			if (String(value).trim() !== '')
				values[name] = String(value).trim();
		}
		pending?.(values);
	});
	$('#action-cancel').addEventListener('click', () => pending?.(null));
	dialog.addEventListener('cancel', (event) => {
		event.preventDefault();
		pending?.(null);
	});
}
