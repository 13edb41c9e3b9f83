import { useState } from 'preact/hooks';
import { randomKey } from '../shared/api';
import type { Order } from '../shared/orders';
import { navigate } from '../shared/router';
import { ProblemBanner, errorFields, money, useTitle } from '../shared/ui';
import { clearCart, removeLine, setQuantity, useCart } from './cart';
import { api, useUser } from './session';

export function CartPage() {
  const lines = useCart();
  useTitle('Cart');
  const user = useUser();
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  // One key per checkout attempt: a retried click after a lost answer places the order once.
  const [idempotencyKey, setIdempotencyKey] = useState(randomKey);
  const fields = errorFields(error);
  const currency = lines[0]?.currency ?? 'EUR';
  const total = lines.reduce((sum, line) => sum + line.priceCents * line.quantity, 0);

  const placeOrder = async () => {
    setBusy(true);
    setError(null);
    try {
      const answer = await api.request<Order>('POST', '/orders', { items: lines.map((l) => ({ productId: l.productId, quantity: l.quantity })) }, { headers: { 'Idempotency-Key': idempotencyKey } });
      clearCart();
      setIdempotencyKey(randomKey());
      navigate(`/orders/${answer.data.id}`);
    } catch (e) {
      // The cart stays as it was: nothing is lost on an error.
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  return (
    <section aria-labelledby="cart-title">
      <h1 id="cart-title">Cart</h1>
      {lines.length === 0 ? (
        <p>
          The cart is empty. <a href="#/">Browse the catalog</a>
        </p>
      ) : (
        <>
          <table class="cart">
            <caption class="visually-hidden">Cart lines</caption>
            <thead>
              <tr>
                <th scope="col">Product</th>
                <th scope="col" class="wide-only">
                  Price
                </th>
                <th scope="col">Quantity</th>
                <th scope="col">Total</th>
                <th scope="col">
                  <span class="visually-hidden">Remove</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {lines.map((line, index) => {
                const lineError = fields[`items[${index}].quantity`] ?? fields[`items[${index}].productId`] ?? fields[`items[${index}]`];
                const id = `quantity-${line.productId}`;
                return (
                  <tr>
                    <th scope="row">
                      <a href={`#/products/${line.productId}`}>{line.name}</a>
                    </th>
                    <td class="wide-only">{money(line.priceCents, line.currency)}</td>
                    <td>
                      <label class="visually-hidden" for={id}>
                        Quantity of {line.name}
                      </label>
                      <input
                        id={id}
                        class="quantity"
                        type="number"
                        min={1}
                        max={10000}
                        value={line.quantity}
                        aria-invalid={lineError ? 'true' : undefined}
                        aria-describedby={lineError ? `${id}-error` : undefined}
                        onChange={(e) => setQuantity(line.productId, Math.max(1, Number(e.currentTarget.value) || 1))}
                      />
                      {lineError && (
                        <p class="field-error" id={`${id}-error`}>
                          {lineError}
                        </p>
                      )}
                    </td>
                    <td>{money(line.priceCents * line.quantity, line.currency)}</td>
                    <td>
                      <button type="button" class="link" onClick={() => removeLine(line.productId)} aria-label={`Remove ${line.name}`}>
                        Remove
                      </button>
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
          <p class="total">Total: {money(total, currency)}</p>
          <ProblemBanner error={error} />
          {user ? (
            <button type="button" class="primary" disabled={busy} onClick={placeOrder}>
              Place order
            </button>
          ) : (
            <p>
              <a href="#/login?next=%2Fcart">Log in</a> or <a href="#/signup?next=%2Fcart">sign up</a> to place the order.
            </p>
          )}
        </>
      )}
    </section>
  );
}
