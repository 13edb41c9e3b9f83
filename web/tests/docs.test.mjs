// The /docs explorer (Swagger UI vendored by the web build): it loads offline under the strict
// policy (no console error, no CSP refusal), shows placeOrder with its Idempotency-Key header
// and the Order schema, and "Try it out" on listProducts gets this server's products.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { adminToken, createProduct, launchBrowser, newPage, skipUnlessReady, startOrdo, uniqueTag, webDir } from './harness.mjs';

skipUnlessReady();
if (!existsSync(join(webDir, 'dist/docs/index.html'))) {
  console.log('SKIPPED: missing web/dist/docs (scripts/build-web.sh vendors the explorer)');
  process.exit(77);
}

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

test('the explorer documents placeOrder and runs listProducts', { timeout: 180_000 }, async () => {
  const tag = uniqueTag();
  const token = await adminToken(ordo.origin);
  await createProduct(ordo.origin, token, { sku: `LAMP-${tag}`, name: `Desk lamp ${tag}`, priceCents: 3900, category: 'Lighting', initialStock: 3 });

  const { page, problems } = await newPage(browser, ordo.origin);
  const refusals = [];
  page.on('console', (message) => {
    if (/Content Security Policy/i.test(message.text())) refusals.push(message.text());
  });
  const answer = await page.goto('/docs');
  assert.match(answer.headers()['content-security-policy'], /script-src 'self';/);
  assert.doesNotMatch(answer.headers()['content-security-policy'], /unsafe/);

  // placeOrder: its header parameter and, in its responses, the Order schema.
  const placeOrder = page.locator('.opblock[id$="-placeOrder"]');
  await placeOrder.locator('.opblock-summary').first().click();
  await placeOrder.locator('.parameters').waitFor();
  const parameterNames = await placeOrder.locator('.parameters .parameter__name').allInnerTexts();
  assert.ok(parameterNames.some((name) => name.includes('Idempotency-Key')), `parameters: ${parameterNames}`);
  assert.ok((await placeOrder.locator('.parameters .parameter__in').allInnerTexts()).some((where) => where.includes('header')));
  // The response's schema tab names the Order model.
  const response201 = placeOrder.locator('.responses-table tr.response[data-code="201"]');
  await response201.getByRole('tab', { name: 'Schema' }).click();
  await response201.locator('.model-title', { hasText: 'Order' }).first().waitFor();
  // And the schemas section lists it.
  await page.locator('section.models').waitFor();
  assert.ok(await page.locator('section.models [id="model-Order"]').count(), 'the Order schema is listed');

  // Try it out: a public request, executed from the page against this server.
  const listProducts = page.locator('.opblock[id$="-listProducts"]');
  await listProducts.locator('.opblock-summary').first().click();
  await listProducts.getByRole('button', { name: 'Try it out' }).click();
  await listProducts.getByRole('button', { name: 'Execute' }).click();
  const live = listProducts.locator('.live-responses-table');
  await live.locator('.response-col_status').first().waitFor();
  assert.equal((await live.locator('.response-col_status').first().innerText()).trim(), '200');
  assert.match(await live.locator('.response-col_description').first().innerText(), new RegExp(`Desk lamp ${tag}`));

  assert.deepEqual(refusals, []);
  assert.deepEqual(problems, []);
});
