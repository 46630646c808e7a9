// The pages' languages: Vietnamese by default, English a click away. Each
// page registers its strings (register()); markup names them with
// data-i18n="key" (text) and data-i18n-attr="attr:key;attr:key" (attributes
// such as aria-label or placeholder). The choice is kept in localStorage so
// it survives a reload, and <html lang> follows it for screen readers.

const STORAGE_KEY = 'civic-bridge.lang';
export const LANGUAGES = ['vi', 'en'];

const tables = { vi: {}, en: {} };
const listeners = new Set();
let current = readStoredLanguage();

function readStoredLanguage() {
	try {
		const stored = localStorage.getItem(STORAGE_KEY);
		if (LANGUAGES.includes(stored))
			return stored;
	} catch {
		// storage refused (private mode): the default it is
	}
	return 'vi';
}

/** Adds strings: { vi: { key: 'text' }, en: { key: 'text' } }. */
export function register(strings) {
	for (const lang of LANGUAGES)
		Object.assign(tables[lang], strings[lang] ?? {});
}

export function language() {
	return current;
}

/** The text of @key in the current language, with {name} replaced from
 * @vars. A key missing in Vietnamese falls back to English, then to the
 * key itself, so a gap shows up instead of an empty label. */
export function t(key, vars = {}) {
	const text = tables[current][key] ?? tables.en[key] ?? key;
	return text.replace(/\{(\w+)\}/g, (match, name) => (name in vars ? value(vars[name]) : match));
}

// a var is a plain value or itself a message { key, vars }, translated when
// the text is drawn: a message kept for a redraw then follows the language
function value(v) {
	return v !== null && typeof v === 'object' && typeof v.key === 'string' ? t(v.key, v.vars) : String(v);
}

/** Whether @key has a text (in either language). */
export function has(key) {
	return key in tables.vi || key in tables.en;
}

/** Translates every marked element under @root. */
export function translate(root = document) {
	for (const element of root.querySelectorAll('[data-i18n]'))
		element.textContent = t(element.dataset.i18n);
	for (const element of root.querySelectorAll('[data-i18n-attr]')) {
		for (const pair of element.dataset.i18nAttr.split(';')) {
			const [attr, key] = pair.split(':').map((s) => s.trim());
			if (attr && key)
				element.setAttribute(attr, t(key));
		}
	}
}

export function setLanguage(lang) {
	if (!LANGUAGES.includes(lang))
		return;
	current = lang;
	try {
		localStorage.setItem(STORAGE_KEY, lang);
	} catch {
		// not kept across reloads; the page still switches
	}
	document.documentElement.lang = lang;
	translate();
	for (const listener of listeners)
		listener(lang);
}

/** Called after every switch, to redraw what the page wrote with t(). */
export function onLanguageChange(listener) {
	listeners.add(listener);
}

/** Makes @button switch to the other language; its label names that
 * language in its own words, which is what a reader of it looks for. */
export function mountLanguageSwitch(button) {
	const label = () => {
		const other = current === 'vi' ? 'en' : 'vi';
		button.textContent = other === 'en' ? 'English' : 'Tiếng Việt';
		button.lang = other;
		button.dataset.switchTo = other;
	};
	button.type = 'button';
	button.addEventListener('click', () => {
		setLanguage(button.dataset.switchTo);
		label();
	});
	label();
}

/** Sets <html lang> and translates the page once it is parsed. */
export function start() {
	document.documentElement.lang = current;
	translate();
}
