// Screenshots of every page of the storefront and the admin console at desktop and phone width,
// into docs/screenshots/ (scripts/screenshots.sh). Starts its own ordo with a seeded catalog.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { adminEmail, adminPassword, launchBrowser, repoDir, skipUnlessReady, startOrdo } from '../tests/harness.mjs';
import { customer, seed } from './seed.mjs';

skipUnlessReady();
const out = join(repoDir, 'docs/screenshots');
mkdirSync(out, { recursive: true });
const widths = { desktop: { width: 1280, height: 800 }, phone: { width: 390, height: 844 } };

// The seed's webhook points at a closed local port (to show failed deliveries).
const ordo = await startOrdo({ 'notifications.webhook_allow_private': 'true' });
const browser = await launchBrowser();
try {
  const { products, confirmed, rejected, webhook } = await seed(ordo.origin);
  for (const [size, viewport] of Object.entries(widths)) {
    const context = await browser.newContext({ baseURL: ordo.origin, viewport, deviceScaleFactor: 1 });
    context.setDefaultTimeout(20_000);
    const page = await context.newPage();
    const shot = async (name, url, ready) => {
      await page.goto(url);
      await ready(page);
      await page.screenshot({ path: join(out, `${name}-${size}.png`), fullPage: true });
      console.log(`${name}-${size}.png`);
    };
    await shot('shop-catalog', '/', (p) => p.getByRole('link', { name: 'Blue enamel mug' }).waitFor());
    await shot('shop-product', `/#/products/${products[0].id}`, (p) => p.getByText(/In stock/).waitFor());
    await shot('shop-signup', '/#/signup', (p) => p.getByRole('heading', { name: 'Sign up' }).waitFor());
    await page.goto('/#/login');
    await page.getByLabel('Email', { exact: true }).fill(customer.email);
    await page.getByLabel('Password', { exact: true }).fill(customer.password);
    await page.getByRole('main').getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('button', { name: 'Log out' }).waitFor();
    await page.goto(`/#/products/${products[1].id}`);
    await page.getByRole('button', { name: 'Add to cart' }).click();
    await shot('shop-cart', '/#/cart', (p) => p.getByRole('button', { name: 'Place order' }).waitFor());
    await shot('shop-order-confirmed', `/#/orders/${confirmed.id}`, (p) => p.locator('.status-confirmed').waitFor());
    await shot('shop-order-rejected', `/#/orders/${rejected.id}`, (p) => p.locator('.status-rejected').waitFor());
    await shot('shop-my-orders', '/#/orders', (p) => p.locator('tbody tr').first().waitFor());
    await shot('shop-notifications', '/#/notifications', (p) => p.getByRole('heading', { name: 'Notifications' }).waitFor());
    await page.evaluate(() => localStorage.removeItem('ordo.cart'));

    await shot('admin-login', '/admin', (p) => p.getByRole('button', { name: 'Log in' }).waitFor());
    await page.getByLabel('Email', { exact: true }).fill(adminEmail);
    await page.getByLabel('Password', { exact: true }).fill(adminPassword);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('heading', { name: 'Products' }).waitFor();
    await shot('admin-products', '/admin#/products', (p) => p.locator('tbody tr').first().waitFor());
    await shot('admin-new-product', '/admin#/products/new', (p) => p.getByLabel('SKU').waitFor());
    await shot('admin-product', `/admin#/products/${products[0].id}`, (p) => p.getByRole('heading', { name: 'Ledger' }).waitFor());
    await shot('admin-low-stock', '/admin#/stock/low', (p) => p.getByRole('heading', { name: 'Low stock' }).waitFor());
    await shot('admin-orders', '/admin#/orders', (p) => p.locator('tbody tr').first().waitFor());
    await shot('admin-order', `/admin#/orders/${rejected.id}`, (p) => p.getByRole('heading', { name: 'History' }).waitFor());
    await shot('admin-users', '/admin#/users', (p) => p.locator('tbody tr').first().waitFor());
    await shot('admin-notifications', '/admin#/notifications', (p) => p.getByRole('heading', { name: 'Notifications' }).waitFor());
    await shot('admin-webhooks', '/admin#/webhooks', (p) => p.locator('tbody tr').first().waitFor());
    await shot('admin-webhook-deliveries', `/admin#/webhooks/${webhook.id}`, (p) => p.locator('tbody tr').first().waitFor());
    await context.close();
  }
} finally {
  await browser.close();
  await ordo.stop();
}
