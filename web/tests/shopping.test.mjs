// The shopping journey: sign up, log out and in, search, add to cart, place an order and see it
// confirmed live; the session survives a reload; a second order over the stock is shown rejected
// naming the product; a field error from the API is shown next to the cart line, and the cart
// stays.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { adminToken, apiCall, createProduct, eventually, launchBrowser, newPage, skipUnlessReady, startOrdo, uniqueTag, unlabelledControls } from './harness.mjs';

skipUnlessReady();

let ordo;
let browser;
before(async () => {
  ordo = await startOrdo();
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await ordo?.stop();
});

test('shopping journey, live confirmation, rejection and field errors', { timeout: 180_000 }, async () => {
  const tag = uniqueTag();
  const token = await adminToken(ordo.origin);
  const mug = await createProduct(ordo.origin, token, { sku: `MUG-${tag}`, name: `Blue mug ${tag}`, description: 'A sturdy mug.', priceCents: 1250, category: 'Kitchen', attributes: { colour: 'blue' }, initialStock: 5 });
  await createProduct(ordo.origin, token, { sku: `PLATE-${tag}`, name: `Plate ${tag}`, priceCents: 900, category: 'Kitchen', initialStock: 5 });

  const { page, problems } = await newPage(browser, ordo.origin);
  const email = `shopper-${tag}@shop.test`;
  await page.goto('/#/signup');
  await page.getByLabel('Email', { exact: true }).fill(email);
  await page.getByLabel('Password', { exact: true }).fill('short');
  await page.getByLabel('Name', { exact: true }).fill('Sam Shopper');
  await page.getByRole('button', { name: 'Sign up' }).click();
  // The API's field error appears next to the field it names.
  await page.locator('#field-password-error').waitFor();
  await page.getByLabel('Password', { exact: true }).fill('correct horse battery');
  await page.getByRole('button', { name: 'Sign up' }).click();
  await page.getByRole('button', { name: 'Log out' }).waitFor();
  assert.match(await page.locator('header').innerText(), /Sam Shopper/);

  await page.getByRole('button', { name: 'Log out' }).click();
  await page.getByRole('link', { name: 'Log in' }).click();
  await page.getByLabel('Email', { exact: true }).fill(email);
  await page.getByLabel('Password', { exact: true }).fill('correct horse battery');
  await page.getByRole('main').getByRole('button', { name: 'Log in' }).click();
  await page.getByRole('button', { name: 'Log out' }).waitFor();

  // Search, then the product page with its price, attributes and stock.
  await page.getByLabel('Search').fill(`Blue mug ${tag}`);
  await page.getByLabel('Search').press('Enter');
  await page.getByRole('link', { name: `Blue mug ${tag}` }).click();
  await page.getByRole('heading', { name: `Blue mug ${tag}` }).waitFor();
  await page.getByText('In stock: 5').waitFor();
  assert.deepEqual(await unlabelledControls(page), []);
  assert.match(await page.locator('main').innerText(), /€12\.50[\s\S]*A sturdy mug[\s\S]*colour/);
  await page.getByLabel('Quantity').fill('2');
  await page.getByRole('button', { name: 'Add to cart' }).click();

  // The session and the cart survive a reload (silent refresh from the stored refresh token).
  await page.reload();
  await page.getByRole('button', { name: 'Log out' }).waitFor();
  await page.getByRole('link', { name: /^Cart/ }).click();
  await page.getByRole('heading', { name: 'Cart' }).waitFor();
  assert.equal(await page.title(), 'Cart · Ordo shop');
  const quantity = page.getByLabel(`Quantity of Blue mug ${tag}`);
  assert.equal(await quantity.inputValue(), '2');

  // An error from the API: shown next to the line; the cart is kept.
  await quantity.fill('20000');
  await quantity.press('Tab');
  await page.getByRole('button', { name: 'Place order' }).click();
  await page.locator(`#quantity-${mug.id}-error`).waitFor();
  assert.deepEqual(await unlabelledControls(page), []);
  assert.equal(await quantity.inputValue(), '20000');

  // Without an event stream (a server without the route answers 404) the page polls. The order is
  // often confirmed before its page first loads: that first read is played as still pending.
  await page.route(/\/orders\/[^/]+\/events$/, (route) =>
    route.fulfill({ status: 404, contentType: 'application/problem+json', body: '{"type":"about:blank","title":"Not Found","status":404}' }),
  );
  let firstRead = true;
  await page.route(/\/orders\/[0-9a-f-]+$/, async (route) => {
    if (!firstRead || route.request().method() !== 'GET') return route.continue();
    firstRead = false;
    const response = await route.fetch();
    await route.fulfill({ response, json: { ...(await response.json()), status: 'pending' } });
  });
  await quantity.fill('3');
  await quantity.press('Tab');
  await page.getByRole('button', { name: 'Place order' }).click();
  await page.getByRole('heading', { name: /^Order / }).waitFor();
  await page.locator('.status-confirmed').waitFor({ timeout: 30_000 });
  assert.match(await page.locator('main').innerText(), /Status: confirmed/);
  assert.equal(await page.locator('.order-status').getAttribute('data-live'), 'polling');
  await page.unrouteAll();

  // Over the stock (2 left): rejected, naming the product and what was missing.
  await page.goto(`/#/products/${mug.id}`);
  await page.getByText('In stock: 2').waitFor();
  await page.getByLabel('Quantity').fill('4');
  await page.getByRole('button', { name: 'Add to cart' }).click();
  await page.goto('/#/cart');
  await page.getByRole('button', { name: 'Place order' }).click();
  await page.locator('.status-rejected').waitFor({ timeout: 30_000 });
  const rejected = await page.locator('main').innerText();
  assert.match(rejected, /Not enough stock/);
  assert.match(rejected, new RegExp(`Blue mug ${tag}: 4 requested, 2 available`));

  // My orders lists both; the confirmed one can be cancelled.
  await page.getByRole('link', { name: 'My orders' }).click();
  await page.getByRole('heading', { name: 'My orders' }).waitFor();
  await page.locator('tbody tr').nth(1).waitFor();
  assert.equal(await page.locator('tbody tr').count(), 2);
  assert.deepEqual(await unlabelledControls(page), []);
  await page.getByRole('button', { name: /^Cancel order/ }).click();
  await page.getByRole('cell', { name: 'cancelled' }).waitFor();

  await page.getByRole('link', { name: 'Notifications' }).click();
  await page.getByRole('heading', { name: 'Notifications' }).waitFor();
  assert.deepEqual(problems, []);
});

// Where the orders service streams an order's events, the page follows the stream (with the
// Authorization header, which EventSource could not send). The stream is played here by the test
// from the real order, so that the reader is exercised whether or not the server has the route.
test('the order page follows the event stream when there is one', { timeout: 120_000 }, async () => {
  const tag = uniqueTag();
  const token = await adminToken(ordo.origin);
  const cup = await createProduct(ordo.origin, token, { sku: `CUP-${tag}`, name: `Cup ${tag}`, priceCents: 500, initialStock: 3 });
  const { page, problems } = await newPage(browser, ordo.origin);
  let authorization = null;
  await page.route(/\/orders\/[^/]+\/events$/, async (route) => {
    authorization = route.request().headers().authorization ?? null;
    const url = new URL(route.request().url());
    const orderPath = url.pathname.replace(/\/events$/, '');
    const order = await eventually(async () => {
      const { data } = await apiCall(ordo.origin, 'GET', orderPath, { token: authorization.slice('Bearer '.length) });
      return data.status === 'confirmed' && data;
    }, 30, 'the order to be confirmed');
    const pending = { ...order, status: 'pending' };
    await route.fulfill({
      status: 200,
      headers: { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache' },
      body: `: stream opened\r\nevent: order.pending\r\ndata: ${JSON.stringify(pending)}\r\n\r\nevent: order.confirmed\ndata: ${JSON.stringify(order)}\n\n`,
    });
  });
  // In one process an order is often confirmed before its page first loads: the first read is
  // played as still pending, so that the page has a stream to follow.
  let firstRead = true;
  await page.route(/\/orders\/[0-9a-f-]+$/, async (route) => {
    if (!firstRead || route.request().method() !== 'GET') return route.continue();
    firstRead = false;
    const response = await route.fetch();
    const order = await response.json();
    await route.fulfill({ response, json: { ...order, status: 'pending', rejectionReason: null } });
  });
  const email = `streamer-${tag}@shop.test`;
  await apiCall(ordo.origin, 'POST', '/users/register', { body: { email, password: 'correct horse battery', name: 'Sue Stream' } });
  await page.goto('/#/login');
  await page.getByLabel('Email', { exact: true }).fill(email);
  await page.getByLabel('Password', { exact: true }).fill('correct horse battery');
  await page.getByRole('main').getByRole('button', { name: 'Log in' }).click();
  await page.getByRole('button', { name: 'Log out' }).waitFor();

  // An access token refused (expired, say) is renewed silently with the refresh token, and the
  // request is sent again: the visitor never sees the 401.
  const refreshes = [];
  page.on('request', (request) => request.url().endsWith('/users/refresh') && refreshes.push(request.url()));
  let refused = false;
  await page.route(/\/orders\?/, (route) => {
    if (refused) return route.continue();
    refused = true;
    return route.fulfill({ status: 401, contentType: 'application/problem+json', body: '{"type":"about:blank","title":"Unauthorized","status":401,"detail":"the bearer token was refused: expired"}' });
  });
  await page.getByRole('link', { name: 'My orders' }).click();
  await page.getByText('No orders yet.').waitFor();
  assert.equal(refused, true);
  assert.equal(refreshes.length, 1);
  await page.getByRole('button', { name: 'Log out' }).waitFor();

  // Keyboard only: from the quantity field, Tab reaches "Add to cart" and Enter presses it.
  await page.goto(`/#/products/${cup.id}`);
  await page.getByLabel('Quantity').focus();
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement?.textContent?.trim()), 'Add to cart');
  await page.keyboard.press('Enter');
  await page.getByText(`Added 1 × Cup ${tag} to the cart.`).waitFor();

  await page.goto('/#/cart');
  await page.getByRole('button', { name: 'Place order' }).click();
  await page.locator('.status-confirmed').waitFor({ timeout: 40_000 });
  assert.match(authorization ?? '', /^Bearer .+/);
  // The final status came from the stream, not from polling.
  assert.equal(await page.locator('.order-status').getAttribute('data-live'), 'stream');
  assert.deepEqual(problems, []);
});
