// The notice a page shows while its session is recorded: a reception
// session recorded as the official record, which everyone in the room has
// to know about. The daemon says so when a peer joins and at every change
// (the client's `recording` event).
import { register } from './i18n.js';

register({
	vi: { 'recording.notice': '● Buổi tiếp đang được ghi hình làm hồ sơ chính thức.' },
	en: { 'recording.notice': '● This session is being recorded as the official record.' },
});

/** Shows @element (a role="status" element marked data-i18n="recording.notice")
 * while the session that @currentSession() names is recorded; returns a
 * function that hides it, for when the page leaves the room. */
export function followRecording(client, element, currentSession) {
	const set = (active) => {
		element.hidden = !active;
		element.dataset.state = active ? 'on' : 'off';
	};
	set(false);
	client.addEventListener('recording', (e) => {
		const session = currentSession();
		if (session !== null && session !== undefined && Number(e.detail.session_id) !== Number(session))
			return;
		set(e.detail.active);
	});
	return () => set(false);
}
