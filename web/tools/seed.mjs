// A small catalog and one customer with orders, for the screenshots and the Lighthouse audit.
import { adminToken, apiCall, createProduct, eventually } from '../tests/harness.mjs';

export const customer = { email: 'casey@shop.test', password: 'correct horse battery', name: 'Casey Customer' };

export async function seed(origin) {
  const token = await adminToken(origin);
  const catalog = [
    { sku: 'MUG-BLUE', name: 'Blue enamel mug', description: 'A sturdy enamel mug that keeps coffee warm on cold mornings.', priceCents: 1250, category: 'Kitchen', attributes: { colour: 'blue', capacity: '350 ml' }, initialStock: 24 },
    { sku: 'TEAPOT-1', name: 'Stoneware teapot', description: 'Holds four cups.', priceCents: 3400, category: 'Kitchen', attributes: { material: 'stoneware' }, initialStock: 6 },
    { sku: 'LAMP-DESK', name: 'Desk lamp', description: 'Warm light, adjustable arm.', priceCents: 3990, category: 'Lighting', attributes: { bulb: 'E27' }, initialStock: 3 },
    { sku: 'NOTEBOOK-A5', name: 'A5 notebook', description: 'Dotted pages, lies flat.', priceCents: 890, category: 'Stationery', initialStock: 120 },
    { sku: 'PEN-FOUNT', name: 'Fountain pen', description: 'Fine nib, blue ink included.', priceCents: 2450, category: 'Stationery', initialStock: 1 },
    { sku: 'CHAIR-OAK', name: 'Oak chair', description: 'Solid oak, oiled.', priceCents: 14900, category: 'Furniture', attributes: { wood: 'oak' }, initialStock: 2 },
  ];
  const products = [];
  for (const product of catalog) products.push(await createProduct(origin, token, product));
  // The stock record follows the product's creation by an event: wait for it.
  await eventually(() => apiCall(origin, 'PUT', `/products/${products[4].id}/stock`, { token, body: { available: 1, lowStockThreshold: 5 } }), 20, 'the stock record');
  // A webhook to a closed port: its deliveries fail, for the admin's deliveries page.
  const { data: webhook } = await apiCall(origin, 'POST', '/webhooks', { token, body: { url: 'http://127.0.0.1:9/orders', events: ['order.confirmed', 'order.rejected'], description: 'ERP (offline)' } });
  await apiCall(origin, 'POST', '/users/register', { body: customer });
  const { data: tokens } = await apiCall(origin, 'POST', '/users/login', { body: { email: customer.email, password: customer.password } });
  const place = async (items) => {
    const { data: order } = await apiCall(origin, 'POST', '/orders', { token: tokens.access_token, body: { items } });
    return eventually(async () => {
      const { data } = await apiCall(origin, 'GET', `/orders/${order.id}`, { token: tokens.access_token });
      return data.status !== 'pending' && data;
    }, 30, 'the order to be decided');
  };
  const confirmed = await place([{ productId: products[0].id, quantity: 2 }, { productId: products[3].id, quantity: 1 }]);
  const rejected = await place([{ productId: products[5].id, quantity: 5 }]);
  return { token, products, confirmed, rejected, customerTokens: tokens, webhook };
}
