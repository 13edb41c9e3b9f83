// The admin journey: a customer is refused; the admin creates a product, replenishes its stock,
// and the storefront shows it. Then a concurrent edit: the second save is shown as a conflict and
// does not overwrite the first.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { adminEmail, adminPassword, apiCall, launchBrowser, newPage, skipUnlessReady, startOrdo, uniqueTag, unlabelledControls } from './harness.mjs';

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

async function logIn(page, email, password) {
  await page.goto('/admin');
  await page.getByLabel('Email', { exact: true }).fill(email);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Log in' }).click();
}

test('a customer is told the console is for administrators', { timeout: 60_000 }, async () => {
  const email = `customer-${uniqueTag()}@shop.test`;
  await apiCall(ordo.origin, 'POST', '/users/register', { body: { email, password: 'correct horse battery', name: 'Cy Customer' } });
  const { page, context } = await newPage(browser, ordo.origin);
  await logIn(page, email, 'correct horse battery');
  await page.getByText('is not an administrator').waitFor();
  assert.equal(await page.getByRole('link', { name: 'Products' }).count(), 0);
  await context.close();
});

test('admin creates a product, replenishes it, and the storefront shows it', { timeout: 120_000 }, async () => {
  const tag = uniqueTag();
  const { page, context, problems } = await newPage(browser, ordo.origin);
  await logIn(page, adminEmail, adminPassword);
  await page.getByRole('heading', { name: 'Products' }).waitFor();
  await page.getByRole('link', { name: 'New product' }).click();
  await page.getByLabel('SKU').waitFor();
  assert.deepEqual(await unlabelledControls(page), []);
  await page.getByLabel('SKU').fill(`lamp ${tag}`); // a space: the API refuses the SKU
  await page.getByLabel('Name', { exact: true }).fill(`Desk lamp ${tag}`);
  await page.getByLabel('Description').fill('Warm light for late orders.');
  await page.getByLabel('Price').fill('39.90');
  await page.getByLabel('Currency').fill('EUR');
  await page.getByLabel('Category').fill('Lighting');
  await page.getByLabel('Initial stock').fill('3');
  await page.getByRole('button', { name: 'Create product' }).click();
  await page.locator('#field-sku-error').waitFor();
  await page.getByLabel('SKU').fill(`LAMP-${tag}`);
  await page.getByRole('button', { name: 'Create product' }).click();
  await page.getByText('Product created.').waitFor();
  await page.getByText('Available 3, reserved 0').waitFor();

  await page.getByLabel('Replenish by').fill('7');
  await page.getByLabel('Reason', { exact: true }).fill('delivery');
  await page.getByRole('button', { name: 'Replenish' }).click();
  await page.getByText('Available 10, reserved 0').waitFor();
  await page.getByRole('cell', { name: /replenish/ }).waitFor();
  assert.deepEqual(await unlabelledControls(page), []);

  const shop = await newPage(browser, ordo.origin);
  await shop.page.goto('/');
  await shop.page.getByLabel('Search').fill(`Desk lamp ${tag}`);
  await shop.page.getByLabel('Search').press('Enter');
  await shop.page.getByRole('link', { name: `Desk lamp ${tag}` }).click();
  await shop.page.getByText('In stock: 10').waitFor();
  assert.match(await shop.page.locator('main').innerText(), /€39\.90/);
  assert.deepEqual([...problems, ...shop.problems], []);
  await shop.context.close();
  await context.close();
});

test('a concurrent edit is shown as a conflict, not overwritten', { timeout: 120_000 }, async () => {
  const tag = uniqueTag();
  const login = await apiCall(ordo.origin, 'POST', '/users/login', { body: { email: adminEmail, password: adminPassword } });
  const { data: product } = await apiCall(ordo.origin, 'POST', '/products', {
    token: login.data.access_token,
    body: { sku: `CHAIR-${tag}`, name: `Chair ${tag}`, priceCents: 5000, currency: 'EUR', initialStock: 1 },
  });
  const first = await newPage(browser, ordo.origin);
  const second = await newPage(browser, ordo.origin);
  for (const { page } of [first, second]) {
    await logIn(page, adminEmail, adminPassword);
    await page.getByRole('heading', { name: 'Products' }).waitFor();
    await page.goto(`/admin#/products/${product.id}`);
    await page.getByLabel('Name', { exact: true }).waitFor();
  }
  await first.page.getByLabel('Name', { exact: true }).fill(`Oak chair ${tag}`);
  await first.page.getByRole('button', { name: 'Save' }).click();
  await first.page.getByText('Saved.').waitFor();

  await second.page.getByLabel('Name', { exact: true }).fill(`Pine chair ${tag}`);
  await second.page.getByRole('button', { name: 'Save' }).click();
  await second.page.getByText(/^Conflict: someone else changed this product/).waitFor();
  const { data: stored } = await apiCall(ordo.origin, 'GET', `/products/${product.id}`);
  assert.equal(stored.name, `Oak chair ${tag}`);

  await second.page.getByRole('button', { name: 'Load the latest version' }).click();
  await eventuallyValue(second.page.getByLabel('Name', { exact: true }), `Oak chair ${tag}`);
  assert.deepEqual([...first.problems, ...second.problems], []);
});

function shortId(id) {
  return id.replace(/-/g, '').slice(-8);
}

async function eventuallyValue(locator, expected) {
  for (let i = 0; i < 100; i++) {
    if ((await locator.inputValue()) === expected) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.equal(await locator.inputValue(), expected);
}

test('admin follows orders with their history, manages users, sees stock and notifications', { timeout: 120_000 }, async () => {
  const tag = uniqueTag();
  const admin = await apiCall(ordo.origin, 'POST', '/users/login', { body: { email: adminEmail, password: adminPassword } });
  const { data: product } = await apiCall(ordo.origin, 'POST', '/products', {
    token: admin.data.access_token,
    body: { sku: `VASE-${tag}`, name: `Vase ${tag}`, priceCents: 2000, currency: 'EUR', initialStock: 2 },
  });
  const email = `buyer-${tag}@shop.test`;
  await apiCall(ordo.origin, 'POST', '/users/register', { body: { email, password: 'correct horse battery', name: 'Bo Buyer' } });
  const buyer = await apiCall(ordo.origin, 'POST', '/users/login', { body: { email, password: 'correct horse battery' } });
  const { data: order } = await apiCall(ordo.origin, 'POST', '/orders', { token: buyer.data.access_token, body: { items: [{ productId: product.id, quantity: 3 }] } });

  const { page, problems } = await newPage(browser, ordo.origin);
  await logIn(page, adminEmail, adminPassword);
  await page.getByRole('heading', { name: 'Products' }).waitFor();
  await page.getByRole('link', { name: 'Orders', exact: true }).click();
  await page.getByLabel('Status').selectOption('rejected');
  await page.getByRole('link', { name: shortId(order.id), exact: true }).click();
  await page.getByRole('heading', { name: 'History' }).waitFor();
  assert.deepEqual(await unlabelledControls(page), []);
  assert.match(await page.locator('main').innerText(), new RegExp(`Vase ${tag}: 3 requested, 2 available`));
  // The user's orders, from the order.
  await page.getByRole('link', { name: order.userId, exact: true }).click();
  await page.getByLabel('User id').waitFor();
  assert.equal(await page.getByLabel('User id').inputValue(), order.userId);
  await page.getByRole('link', { name: shortId(order.id), exact: true }).waitFor();

  await page.getByRole('link', { name: 'Users' }).click();
  await page.getByLabel(`Role of ${email}`).selectOption('admin');
  await page.getByText(`${email} is now admin.`).waitFor();
  await page.getByLabel(`Role of ${email}`).selectOption('user');
  await page.getByText(`${email} is now user.`).waitFor();
  await page.getByRole('button', { name: `Deactivate ${email}` }).click();
  await page.getByText(`${email} deactivated.`).waitFor();
  await page.getByRole('button', { name: `Reactivate ${email}` }).waitFor();
  assert.deepEqual(await unlabelledControls(page), []);

  await page.getByRole('link', { name: 'Low stock' }).click();
  await page.getByRole('heading', { name: 'Low stock' }).waitFor();
  await page.getByRole('link', { name: 'Notifications' }).click();
  await page.getByLabel('Status').selectOption('failed');
  await page.getByRole('heading', { name: 'Notifications' }).waitFor();
  await page.getByRole('link', { name: 'Webhooks' }).click();
  await page.getByText('No webhooks are registered').waitFor();
  assert.deepEqual(problems, []);
});
