// What the browser tests share: an `ordo serve` of their own (free ports, a temporary data
// directory, a bootstrap admin), Debian's Chromium driven by playwright-core, and API helpers to
// set the scene. Every wait is bounded.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const webDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const repoDir = resolve(webDir, '..');
export const chromiumPath = process.env.CHROME_PATH || '/usr/bin/chromium';
export const ordoBinary = process.env.ORDO_BINARY || join(repoDir, 'build/release/ordo');
export const adminEmail = 'admin@shop.test';
export const adminPassword = 'admin password 123';

/** CTest's SKIP_RETURN_CODE: the test cannot run here (not a failure of what it tests). */
export function skipUnlessReady() {
  const missing = [];
  if (!existsSync(join(webDir, 'dist/index.html'))) missing.push('web/dist (run npm ci && npm run build in web/)');
  if (!existsSync(join(webDir, 'node_modules/playwright-core'))) missing.push('web/node_modules (run npm ci in web/)');
  if (!existsSync(chromiumPath)) missing.push(`${chromiumPath} (scripts/install-deps.sh installs Debian's chromium)`);
  if (!existsSync(ordoBinary)) missing.push(ordoBinary);
  if (missing.length) {
    console.log(`SKIPPED: missing ${missing.join(', ')}`);
    process.exit(77);
  }
}

function freePort() {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolvePort(port));
    });
  });
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Polls until check() returns a truthy value, at most `seconds`. */
export async function eventually(check, seconds = 20, what = 'condition') {
  const end = Date.now() + seconds * 1000;
  let last;
  while (Date.now() < end) {
    try {
      const value = await check();
      if (value) return value;
    } catch (error) {
      last = error;
    }
    await sleep(100);
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${last.message}` : ''}`);
}

export async function startOrdo(extraSettings = {}) {
  const dataDir = mkdtempSync(join(tmpdir(), 'ordo-web-test-'));
  const port = await freePort();
  const args = ['serve', '--data-dir', dataDir, '--port', String(port), '--set', `gateway.web_dir=${join(webDir, 'dist')}`];
  for (const service of ['users', 'products', 'orders', 'inventory', 'notifications']) {
    args.push('--set', `${service}.port=${await freePort()}`);
  }
  for (const [key, value] of Object.entries({
    'admin.email': adminEmail,
    'admin.password': adminPassword,
    'rate_limit.client_per_s': '100000',
    'rate_limit.client_burst': '100000',
    'rate_limit.user_per_s': '100000',
    'rate_limit.user_burst': '100000',
    'auth.register_max_per_address': '100000',
    'log.access': 'false',
    ...extraSettings,
  })) {
    args.push('--set', `${key}=${value}`);
  }
  const child = spawn(ordoBinary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stdout.on('data', (d) => (log += d));
  child.stderr.on('data', (d) => (log += d));
  const origin = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode === null) {
      child.kill('SIGTERM');
      await Promise.race([new Promise((r) => child.once('exit', r)), sleep(10_000)]);
      if (child.exitCode === null) child.kill('SIGKILL');
    }
    rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    await eventually(
      async () => {
        if (child.exitCode !== null) throw new Error(`ordo exited (${child.exitCode}): ${log}`);
        return log.includes('"message":"ready"') && (await fetch(`${origin}/health`)).ok;
      },
      60,
      'ordo to be ready',
    );
  } catch (error) {
    await stop();
    throw error;
  }
  return { origin, stop, log: () => log };
}

/** A small API client for setting the scene (not what is tested). */
export async function apiCall(origin, method, path, { token, body, headers = {} } = {}) {
  const response = await fetch(origin + path, {
    method,
    headers: { ...(body ? { 'Content-Type': 'application/json' } : {}), ...(token ? { Authorization: `Bearer ${token}` } : {}), ...headers },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await response.text();
  const data = text ? JSON.parse(text) : null;
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text}`);
  return { data, headers: response.headers };
}

export async function adminToken(origin) {
  const { data } = await apiCall(origin, 'POST', '/users/login', { body: { email: adminEmail, password: adminPassword } });
  return data.access_token;
}

export async function createProduct(origin, token, product) {
  const { data } = await apiCall(origin, 'POST', '/products', { token, body: { currency: 'EUR', ...product } });
  return data;
}

export function uniqueTag() {
  return `${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;
}

export async function launchBrowser() {
  const { chromium } = await import('playwright-core');
  return chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    timeout: 60_000,
    // Playwright gives every launch a fresh, temporary user-data-dir of its own.
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run', '--disable-component-update', '--disable-sync', '--disable-quic'],
  });
}

/** A page whose console errors and CSP violations fail the test at the end. */
export async function newPage(browser, origin, viewport = { width: 1280, height: 900 }) {
  const context = await browser.newContext({ baseURL: origin, viewport });
  context.setDefaultTimeout(20_000);
  const page = await context.newPage();
  const problems = [];
  page.on('console', (message) => {
    // A 4xx the page asked for on purpose (a failed login, a conflict) is logged by Chromium as a
    // resource error: those are expected; anything else is not.
    if (message.type() === 'error' && !/Failed to load resource: the server responded with a status of 4\d\d/.test(message.text())) problems.push(message.text());
  });
  page.on('pageerror', (error) => problems.push(String(error)));
  return { page, context, problems };
}

/** Every form control and button of the page has an accessible name (a label, aria-label, or text). */
export async function unlabelledControls(page) {
  return page.evaluate(() =>
    [...document.querySelectorAll('input, select, textarea, button, a[href]')]
      .filter((el) => {
        if (el.getAttribute('aria-label') || el.getAttribute('aria-labelledby')) return false;
        if (el.tagName === 'BUTTON' || el.tagName === 'A') return !el.textContent.trim();
        return !(el.labels && el.labels.length > 0);
      })
      .map((el) => el.outerHTML.slice(0, 120)),
  );
}
