// The index of civic-bridge's pages: its words and the language switch.
import { register, mountLanguageSwitch, start } from './app/i18n.js';
import './app/strings.js';

register({
	vi: {
		'index.heading': 'Các trang',
		'index.waiting_room': 'Phòng chờ của công dân: đăng ký và chờ đến lượt',
		'index.bridge_point': 'Điểm cầu: cán bộ tại xã, phường (mã của điểm cầu)',
		'index.console': 'Bàn điều hành tại hội trường: cán bộ tiếp dân (mã cán bộ)',
		'index.token_help': 'Mã truy cập có thể đặt sau dấu # trong địa chỉ (#token=…), không bao giờ sau dấu ?.',
		'index.test_heading': 'Trang thử nghiệm',
		'index.test_hall': 'Hội trường (trang thử, mã cán bộ)',
		'index.test_bridge_point': 'Điểm cầu (trang thử, mã của điểm cầu)',
	},
	en: {
		'index.heading': 'Pages',
		'index.waiting_room': 'Citizens\' waiting room: register and wait for your turn',
		'index.bridge_point': 'Bridge point: staff at a commune or ward (the bridge point\'s code)',
		'index.console': 'Reception hall console: reception staff (a staff code)',
		'index.token_help': 'An access code may be put after # in the address (#token=…), never after ?.',
		'index.test_heading': 'Test pages',
		'index.test_hall': 'Reception hall (test page, a staff code)',
		'index.test_bridge_point': 'Bridge point (test page, a bridge point\'s code)',
	},
});

start();
mountLanguageSwitch(document.getElementById('lang'));
