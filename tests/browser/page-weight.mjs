// Page weight and time to interactive of civic-bridge's pages, by hand
// against a running daemon (docs/PERFORMANCE.md, "Pages (issue 6)"):
//
//   civic-bridged --state-dir /tmp/cb-weight --listen 127.0.0.1:8080 &
//   node tests/browser/page-weight.mjs http://127.0.0.1:8080 [runs]
//
// For each page (/web/waiting-room/, /web/bridge-point/, /web/console/) it
// opens a fresh Chromium context (empty cache) `runs` times (default 5) and
// prints the median of: the bytes transferred on that first load (headers
// and bodies of every response, as Chromium's network layer counts them),
// the number of requests, DOMContentLoaded, and time to interactive (with
// its min and max over the runs): the moment the page sets data-ready on
// <body> (its modules evaluated, its first view drawn and usable), from the
// start of the navigation. A second
// load in the same context shows what revalidation (304) costs. A page that
// answers 404 is skipped and said so. Needs playwright-core (npm ci in
// tests/browser) and Debian's /usr/bin/chromium; no camera is opened.
const base = (process.argv[2] || process.env.CB_URL || 'http://127.0.0.1:8080').replace(/\/$/, '');
const runs = Math.max(1, Number(process.argv[3] || 5));
const PAGES = ['/web/waiting-room/', '/web/bridge-point/', '/web/console/'];
const executablePath = process.env.CB_CHROMIUM || '/usr/bin/chromium';

const { chromium } = await import('playwright-core');

// set before any script of the page runs: when <body data-ready> appears
function watchReady() {
	const mark = () => {
		if (document.body?.dataset.ready === 'true' && window.__cbReadyAt === undefined)
			window.__cbReadyAt = performance.now();
	};
	new MutationObserver(mark).observe(document, { attributes: true, subtree: true, attributeFilter: ['data-ready'] });
}

function spread(list, key) {
	const values = list.map((r) => r[key]);
	return `${Math.min(...values).toFixed(0)}-${Math.max(...values).toFixed(0)}`;
}

function median(values) {
	const sorted = [...values].sort((a, b) => a - b);
	return sorted[Math.floor((sorted.length - 1) / 2)];
}

async function load(page, cdp, path) {
	let bytes = 0;
	let requests = 0;
	const finished = (e) => {
		bytes += e.encodedDataLength;
		requests++;
	};
	cdp.on('Network.loadingFinished', finished);
	const response = await page.goto(`${base}${path}`, { waitUntil: 'load' });
	if (response.status() === 404) {
		cdp.off('Network.loadingFinished', finished);
		return null;
	}
	await page.waitForFunction(() => window.__cbReadyAt !== undefined, null, { timeout: 30000 });
	// late requests (a module imported after load) count as well
	await page.waitForTimeout(200);
	cdp.off('Network.loadingFinished', finished);
	const timing = await page.evaluate(() => {
		const nav = performance.getEntriesByType('navigation')[0];
		return { dcl: nav.domContentLoadedEventEnd, ready: window.__cbReadyAt };
	});
	return { bytes, requests, ...timing };
}

const browser = await chromium.launch({ executablePath, headless: true, args: ['--no-sandbox', '--disable-gpu'] });
console.log(`# ${executablePath} ${browser.version()}, ${base}, median of ${runs} cold loads`);
console.log('page                 | first load bytes | requests | DOMContentLoaded ms | interactive ms (min-max) | reload bytes (304s)');
try {
	for (const path of PAGES) {
		const first = [];
		const again = [];
		let missing = false;
		for (let i = 0; i < runs && !missing; i++) {
			const context = await browser.newContext();
			await context.addInitScript(watchReady);
			const page = await context.newPage();
			const errors = [];
			page.on('console', (m) => {
				if (m.type() === 'error')
					errors.push(m.text());
			});
			const cdp = await context.newCDPSession(page);
			await cdp.send('Network.enable');
			const cold = await load(page, cdp, path);
			if (cold === null) {
				missing = true;
			} else {
				first.push(cold);
				again.push(await load(page, cdp, path));
				for (const text of errors.splice(0))
					console.log(`# ${path}: console error: ${text}`);
			}
			await context.close();
		}
		if (missing) {
			console.log(`${path.padEnd(20)} | skipped: 404 (not in this build)`);
			continue;
		}
		const m = (list, key) => median(list.map((r) => r[key]));
		console.log(`${path.padEnd(20)} | ${String(m(first, 'bytes')).padStart(16)} | ${String(m(first, 'requests')).padStart(8)} | ` +
			`${m(first, 'dcl').toFixed(1).padStart(19)} | ${m(first, 'ready').toFixed(1).padStart(7)} (${spread(first, 'ready')}) | ${String(m(again, 'bytes')).padStart(8)}`);
	}
} finally {
	await browser.close();
}
