// What the Chromium tests share: their settings from the environment (set
// by tests/browser/test-browser.c), Debian's Chromium through
// playwright-core, and TAP output ("ok N - ...", "not ok N - ...", "1..N"),
// which meson reads. Each test script launches Chromium with its own flags.
import { existsSync, mkdirSync } from 'node:fs';

export const WAIT_MS = Number(process.env.CB_BROWSER_WAIT_MS || 60000);

/** The environment variable @name, or a TAP bail-out when it is missing. */
export function need(name) {
	const value = process.env[name];
	if (!value) {
		console.log(`Bail out! ${name} is not set: run this through its meson test (tests/browser/meson.build)`);
		process.exit(2);
	}
	return value;
}

/** playwright-core's chromium and Debian's executable, or a bail-out saying
 * what to install; @artifacts is made for the screenshots. */
export async function loadChromium(artifacts) {
	const executablePath = process.env.CB_CHROMIUM || '/usr/bin/chromium';
	if (!existsSync(executablePath)) {
		console.log(`Bail out! no Chromium at ${executablePath}: install Debian's chromium (tools/install-deps)`);
		process.exit(2);
	}
	let chromium;
	try {
		({ chromium } = await import('playwright-core'));
	} catch (e) {
		console.log(`Bail out! playwright-core cannot be loaded (${e.message}): run 'npm ci' in tests/browser (tools/install-browser-deps)`);
		process.exit(2);
	}
	mkdirSync(artifacts, { recursive: true });
	return { chromium, executablePath };
}

let n = 0;
let failed = 0;

/** Runs one check and prints its TAP line; a throw is its failure. */
export async function check(description, fn) {
	n++;
	try {
		await fn();
		console.log(`ok ${n} - ${description}`);
	} catch (e) {
		failed++;
		console.log(`not ok ${n} - ${description}`);
		for (const line of String(e?.stack ?? e).split('\n'))
			console.log(`# ${line}`);
	}
}

export function expect(condition, message) {
	if (!condition)
		throw new Error(message);
}

export function failures() {
	return failed;
}

/** What stopped a script between its checks, as one more failed check. */
export function stoppedEarly(error) {
	failed++;
	console.log(`not ok ${++n} - the test ran to its end`);
	console.log(`# ${error?.stack ?? error}`);
}

/** The plan and the summary; exits 0 only when every check passed. */
export function finish(artifacts) {
	console.log(`1..${n}`);
	console.log(`# ${n - failed} passed, ${failed} failed; screenshots in ${artifacts}`);
	process.exit(failed === 0 ? 0 : 1);
}
