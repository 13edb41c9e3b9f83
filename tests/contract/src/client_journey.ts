// The README's shopping journey through a TypeScript client generated from docs/openapi.json
// (openapi-typescript for the types, openapi-fetch for the calls), against the real binary. The
// compiler checks every path, parameter and body against the document; at run time each answer
// is checked for what the document promises (status, content type, the required fields).
import createClient from 'openapi-fetch';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';

import type { paths } from '../build/ordo-api.js';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

type Ordo = { origin: string; stop: () => Promise<void>; log: () => string };
// The web tests' harness starts an `ordo serve` of its own (free ports, a temporary data dir).
// ORDO_REPO: the repository (client_journey.sh sets it).
const harnessPath = join(process.env.ORDO_REPO ?? '.', 'web/tests/harness.mjs');
const harness = (await import(pathToFileURL(harnessPath).href)) as {
  adminEmail: string;
  adminPassword: string;
  startOrdo: () => Promise<Ordo>;
  eventually: <T>(check: () => Promise<T | false>, seconds: number, what: string) => Promise<T>;
};
const { adminEmail, adminPassword, eventually, startOrdo } = harness;

function expectJson(response: Response, status: number) {
  assert.equal(response.status, status, `${response.url}: ${response.status}`);
  assert.match(response.headers.get('content-type') ?? '', /^application\/json/);
}

async function journey(origin: string) {
  const anonymous = createClient<paths>({ baseUrl: origin });

  const adminLogin = await anonymous.POST('/users/login', {
    body: { email: adminEmail, password: adminPassword },
  });
  expectJson(adminLogin.response, 200);
  assert.ok(adminLogin.data);
  const admin = createClient<paths>({
    baseUrl: origin,
    headers: { Authorization: `Bearer ${adminLogin.data.access_token}` },
  });

  const sku = `TS-${randomUUID().slice(0, 8)}`;
  const created = await admin.POST('/products', {
    body: {
      sku,
      name: 'Typed mug',
      description: 'made by a generated client',
      priceCents: 1250,
      currency: 'EUR',
      category: 'mugs',
      attributes: { colour: 'blue' },
      initialStock: 5,
    },
  });
  expectJson(created.response, 201);
  assert.ok(created.data);
  assert.ok(created.response.headers.get('location')?.endsWith(`/products/${created.data.id}`));
  const productId = created.data.id;

  const email = `ts-${randomUUID().slice(0, 8)}@shop.test`;
  const registered = await anonymous.POST('/users/register', {
    body: { email, password: 'correct horse battery', name: 'Tess Typed' },
  });
  expectJson(registered.response, 201);
  assert.equal(registered.data?.email, email);
  const login = await anonymous.POST('/users/login', {
    body: { email, password: 'correct horse battery' },
  });
  expectJson(login.response, 200);
  assert.ok(login.data);
  const buyer = createClient<paths>({
    baseUrl: origin,
    headers: { Authorization: `Bearer ${login.data.access_token}` },
  });

  const product = await anonymous.GET('/products/{id}', { params: { path: { id: productId } } });
  expectJson(product.response, 200);
  assert.equal(product.data?.sku, sku);
  // A change that overwrites names the version it was decided on: If-Match is a required header
  // of the operation (428 without it), filled from the ETag of the GET.
  const etag = product.response.headers.get('etag');
  assert.ok(etag);
  const revised = await admin.PATCH('/products/{id}', {
    params: { path: { id: productId }, header: { 'If-Match': etag } },
    body: { description: 'made and revised by a generated client' },
  });
  expectJson(revised.response, 200);
  assert.equal(revised.data?.description, 'made and revised by a generated client');
  const search = await anonymous.GET('/products', { params: { query: { q: 'Typed', limit: 10 } } });
  expectJson(search.response, 200);
  assert.ok(search.data?.items.some((item) => item.id === productId));

  const key = randomUUID();
  const placed = await buyer.POST('/orders', {
    params: { header: { 'Idempotency-Key': key } },
    body: { items: [{ productId, quantity: 2 }] },
  });
  assert.ok([201, 202].includes(placed.response.status), `placeOrder: ${placed.response.status}`);
  assert.ok(placed.data);
  const orderId = placed.data.id;

  // The replay answers exactly what the first request was answered.
  const replayed = await buyer.POST('/orders', {
    params: { header: { 'Idempotency-Key': key } },
    body: { items: [{ productId, quantity: 2 }] },
  });
  assert.equal(replayed.response.status, placed.response.status);
  assert.equal(replayed.response.headers.get('idempotent-replayed'), 'true');
  assert.deepEqual(replayed.data, placed.data);

  const confirmed = await eventually(async () => {
    const order = await buyer.GET('/orders/{id}', { params: { path: { id: orderId } } });
    expectJson(order.response, 200);
    return order.data?.status === 'confirmed' && order.data;
  }, 30, 'the order to be confirmed');
  assert.equal(confirmed.items[0].productId, productId);
  assert.equal(confirmed.totalCents, 2500);

  const mine = await buyer.GET('/orders', { params: { query: { limit: 10 } } });
  expectJson(mine.response, 200);
  assert.ok(mine.data?.items.some((order) => order.id === orderId));

  const stock = await admin.GET('/products/{id}/stock', { params: { path: { id: productId } } });
  expectJson(stock.response, 200);
  assert.equal(stock.data?.reserved, 2);

  const cancelled = await buyer.POST('/orders/{id}/cancel', { params: { path: { id: orderId } } });
  expectJson(cancelled.response, 200);
  assert.equal(cancelled.data?.status, 'cancelled');

  // A problem comes back typed as the document's Problem.
  const refused = await buyer.POST('/orders', { body: { items: [] } });
  assert.equal(refused.response.status, 400);
  assert.match(refused.response.headers.get('content-type') ?? '', /^application\/problem\+json/);
  assert.equal(refused.error?.status, 400);

  const notifications = await eventually(async () => {
    const page = await buyer.GET('/notifications', { params: { query: { limit: 50 } } });
    expectJson(page.response, 200);
    return page.data && page.data.items.length > 0 ? page.data : false;
  }, 30, 'a notification');
  assert.ok(notifications.items.every((item) => typeof item.id === 'string'));
}

const ordo: Ordo = await startOrdo();
try {
  await journey(ordo.origin);
  console.log('the generated client ran the shopping journey');
} catch (error) {
  console.error(ordo.log().slice(-4000));
  throw error;
} finally {
  await ordo.stop();
}
