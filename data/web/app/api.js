// The daemon's REST API for the pages: JSON in and out, the bearer token in
// a header (never in a URL, where it would reach logs), and every failure
// turned into an ApiError whose code names a message in strings.js.
import { has } from './i18n.js';

export class ApiError extends Error {
	constructor(status, code, message, startedAt = performance.now()) {
		super(message);
		this.name = 'ApiError';
		this.status = status;
		this.code = code;
		// when the failed request was sent: an answer that comes after the
		// page knows the server is back may be older than that news
		this.startedAt = startedAt;
	}
}

export class Api {
	constructor(token = null) {
		this.token = token;
	}

	async request(method, path, body = undefined) {
		const startedAt = performance.now();
		const headers = { Accept: 'application/json' };
		if (this.token)
			headers.Authorization = `Bearer ${this.token}`;
		if (body !== undefined)
			headers['Content-Type'] = 'application/json';
		let response;
		try {
			response = await fetch(`/api/v1${path}`, {
				method,
				headers,
				body: body === undefined ? undefined : JSON.stringify(body),
				cache: 'no-store',
			});
		} catch (e) {
			throw new ApiError(0, 'network', e.message, startedAt);
		}
		const text = await response.text();
		let data = null;
		if (text !== '') {
			try {
				data = JSON.parse(text);
			} catch {
				if (response.ok)
					throw new ApiError(response.status, 'bad_response', 'the answer is not JSON', startedAt);
			}
		}
		if (!response.ok) {
			const error = data?.error ?? {};
			throw new ApiError(response.status, error.code ?? `http_${response.status}`,
				error.message ?? response.statusText, startedAt);
		}
		return data;
	}

	get(path) {
		return this.request('GET', path);
	}

	post(path, body = undefined) {
		return this.request('POST', path, body);
	}

	patch(path, body) {
		return this.request('PATCH', path, body);
	}

	delete(path) {
		return this.request('DELETE', path);
	}
}

/** The i18n key of the plain message for @error (an ApiError, a
 * CivicBridgeError of the media client, or anything else). */
export function errorKey(error) {
	const code = error?.code ?? '';
	const known = ['network', 'unauthenticated', 'forbidden', 'not_found', 'conflict',
		'rate_limited', 'unavailable', 'invalid_request', 'too_large', 'permission-denied',
		'no-device', 'device-busy', 'insecure-context', 'closed'];
	return known.includes(code) ? `error.${code}` : 'error.other';
}

/** The plain message of @error as { key, vars } for t(): the page's own
 * message when it carries one (error.key, error.vars: a form's check), else
 * the message of its code. A daemon's 400 says in English which field is
 * wrong ("field 'summary' ..."): the page names that field in its own
 * language, and never shows the English sentence. */
export function errorMessage(error) {
	if (typeof error?.key === 'string')
		return { key: error.key, vars: error.vars ?? {} };
	const key = errorKey(error);
	if (key === 'error.invalid_request') {
		const field = /field '(\w+)'/.exec(error?.message ?? '')?.[1];
		return field && has(`field.${field}`)
			? { key: 'error.invalid_field', vars: { field: { key: `field.${field}` } } }
			: { key, vars: {} };
	}
	return { key, vars: { detail: error?.message ?? String(error ?? '') } };
}
