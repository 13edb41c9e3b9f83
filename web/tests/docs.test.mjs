// The /docs explorer (Swagger UI vendored by the web build): it loads offline under the strict
// policy (no console error, no CSP refusal), shows placeOrder with its Idempotency-Key header,
// its example body and the Order schema; "Try it out" on listProducts gets this server's
// products, and with a bearer token given under "Authorize", getCurrentUser its admin.
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

test('the explorer documents placeOrder, runs listProducts, and getCurrentUser with a token', { timeout: 180_000 }, async () => {
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
  // The request body starts from the document's example.
  assert.match(await placeOrder.locator('.opblock-section-request-body').innerText(), /Please leave at the door\./);
  // The 201 answer's schema tab names the Order schema, and the schemas section lists it.
  const response201 = placeOrder.locator('.responses-table tr.response[data-code="201"]');
  await response201.getByRole('tab', { name: 'Schema' }).click();
  await response201.locator('.json-schema-2020-12__title').getByText('Order', { exact: true }).first().waitFor();
  await page.locator('section.models .json-schema-2020-12__title').getByText('Order', { exact: true }).first().waitFor();

  // Try it out: a public request, executed from the page against this server.
  const listProducts = page.locator('.opblock[id$="-listProducts"]');
  await listProducts.locator('.opblock-summary').first().click();
  await listProducts.getByRole('button', { name: 'Try it out' }).click();
  await listProducts.getByRole('button', { name: 'Execute' }).click();
  const answer200 = listProducts.locator('.live-responses-table tr.response');
  await answer200.first().waitFor();
  assert.equal((await answer200.locator('.response-col_status').first().innerText()).trim(), '200');
  assert.match(await answer200.locator('.response-col_description').first().innerText(), new RegExp(`Desk lamp ${tag}`));

  // A bearer token given under "Authorize" goes with the protected operations' requests.
  await page.locator('.auth-wrapper button.authorize').click();
  const dialog = page.locator('.dialog-ux .modal-ux');
  await dialog.locator('input[type="text"], input[type="password"]').first().fill(token);
  await dialog.locator('button.modal-btn.authorize').click();
  await dialog.locator('button.modal-btn.btn-done').click();
  const me = page.locator('.opblock[id$="-getCurrentUser"]');
  await me.locator('.opblock-summary').first().click();
  await me.getByRole('button', { name: 'Try it out' }).click();
  await me.getByRole('button', { name: 'Execute' }).click();
  const meAnswer = me.locator('.live-responses-table tr.response');
  await meAnswer.first().waitFor();
  assert.equal((await meAnswer.locator('.response-col_status').first().innerText()).trim(), '200');
  assert.match(await meAnswer.locator('.response-col_description').first().innerText(), /"role": "admin"/);

  assert.deepEqual(refusals, []);
  assert.deepEqual(problems, []);
});
