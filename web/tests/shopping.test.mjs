// The shopping journey: sign up, log out and in, search, add to cart, place an order and see it
// confirmed live; the session survives a reload; a second order over the stock is shown rejected
// naming the product; a field error from the API is shown next to the cart line, and the cart
// stays.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { adminToken, createProduct, launchBrowser, newPage, skipUnlessReady, startOrdo, uniqueTag } from './harness.mjs';

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
  assert.match(await page.locator('main').innerText(), /€12\.50[\s\S]*A sturdy mug[\s\S]*colour/);
  await page.getByLabel('Quantity').fill('2');
  await page.getByRole('button', { name: 'Add to cart' }).click();

  // The session and the cart survive a reload (silent refresh from the stored refresh token).
  await page.reload();
  await page.getByRole('button', { name: 'Log out' }).waitFor();
  await page.getByRole('link', { name: /^Cart/ }).click();
  await page.getByRole('heading', { name: 'Cart' }).waitFor();
  const quantity = page.getByLabel(`Quantity of Blue mug ${tag}`);
  assert.equal(await quantity.inputValue(), '2');

  // An error from the API: shown next to the line; the cart is kept.
  await quantity.fill('20000');
  await quantity.press('Tab');
  await page.getByRole('button', { name: 'Place order' }).click();
  await page.locator(`#quantity-${mug.id}-error`).waitFor();
  assert.equal(await quantity.inputValue(), '20000');

  await quantity.fill('3');
  await quantity.press('Tab');
  await page.getByRole('button', { name: 'Place order' }).click();
  await page.getByRole('heading', { name: /^Order / }).waitFor();
  await page.locator('.status-confirmed').waitFor({ timeout: 30_000 });
  assert.match(await page.locator('main').innerText(), /Status: confirmed/);

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
  await page.getByRole('button', { name: /^Cancel order/ }).click();
  await page.getByRole('cell', { name: 'cancelled' }).waitFor();

  await page.getByRole('link', { name: 'Notifications' }).click();
  await page.getByRole('heading', { name: 'Notifications' }).waitFor();
  assert.deepEqual(problems, []);
});
