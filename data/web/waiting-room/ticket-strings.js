// The words for a ticket's values (category, priority, states, channel),
// shared by the waiting room and the bridge-point page.
import { register, t } from '../app/i18n.js';

register({
	vi: {
		'category.complaint': 'Khiếu nại',
		'category.denunciation': 'Tố cáo',
		'category.recommendation': 'Kiến nghị',
		'category.reflection': 'Phản ánh',
		'priority.none': 'Không',
		'priority.elderly': 'Người cao tuổi',
		'priority.disability': 'Người khuyết tật',
		'priority.pregnancy': 'Phụ nữ mang thai',
		'priority.merit': 'Người có công với cách mạng',
		'channel.online': 'Trực tuyến',
		'channel.walk-in': 'Trực tiếp tại điểm cầu',
		'ticket.waiting': 'Đang chờ',
		'ticket.called': 'Đến lượt',
		'ticket.admitted': 'Đang được tiếp',
		'ticket.done': 'Đã tiếp xong',
		'ticket.no_show': 'Không có mặt khi được gọi',
		'ticket.cancelled': 'Đã huỷ',
		'ticket.deferred': 'Chuyển sang phiên sau',
		'ticket.refused': 'Từ chối tiếp',
		'session.none': 'Chờ phiên tiếp theo',
		'session.scheduled': 'Chưa mở',
		'session.open': 'Đã mở, chưa bắt đầu',
		'session.live': 'Đang diễn ra',
		'session.ended': 'Đã kết thúc',
		'session.cancelled': 'Đã huỷ',
		'refuse.not-competent': 'việc này không thuộc thẩm quyền của cơ quan',
		'refuse.already-resolved': 'vụ việc đã được giải quyết',
		'refuse.abusive': 'có hành vi gây rối hoặc xúc phạm',
		'refuse.incomplete': 'thông tin chưa đầy đủ',
	},
	en: {
		'category.complaint': 'Complaint',
		'category.denunciation': 'Denunciation',
		'category.recommendation': 'Recommendation',
		'category.reflection': 'Reflection',
		'priority.none': 'None',
		'priority.elderly': 'Elderly person',
		'priority.disability': 'Person with a disability',
		'priority.pregnancy': 'Pregnant woman',
		'priority.merit': 'Person of merit to the revolution',
		'channel.online': 'Online',
		'channel.walk-in': 'Walk-in at the bridge point',
		'ticket.waiting': 'Waiting',
		'ticket.called': 'Your turn',
		'ticket.admitted': 'Being received',
		'ticket.done': 'Finished',
		'ticket.no_show': 'Did not answer the call',
		'ticket.cancelled': 'Cancelled',
		'ticket.deferred': 'Moved to the next session',
		'ticket.refused': 'Refused',
		'session.none': 'Waiting for the next session',
		'session.scheduled': 'Not open yet',
		'session.open': 'Open, not started',
		'session.live': 'In progress',
		'session.ended': 'Ended',
		'session.cancelled': 'Cancelled',
		'refuse.not-competent': 'the matter is not within this office\'s competence',
		'refuse.already-resolved': 'the matter has already been resolved',
		'refuse.abusive': 'disruptive or abusive behaviour',
		'refuse.incomplete': 'the information is incomplete',
	},
});

/** The words for @value of @kind ('category', 'ticket', ...); an unknown
 * value is shown as it is rather than as a missing key. */
export function word(kind, value) {
	if (value === null || value === undefined)
		return kind === 'session' ? t('session.none') : '—';
	const key = `${kind}.${value}`;
	const text = t(key);
	return text === key ? String(value) : text;
}

/** A wait in whole minutes, "under a minute" for less. */
export function minutes(seconds) {
	if (seconds === null || seconds === undefined || seconds < 0)
		return '—';
	if (seconds < 60)
		return t('wait.soon');
	return t('wait.minutes', { n: Math.round(seconds / 60) });
}

register({
	vi: { 'wait.soon': 'dưới 1 phút', 'wait.minutes': 'khoảng {n} phút' },
	en: { 'wait.soon': 'under a minute', 'wait.minutes': 'about {n} min' },
});
