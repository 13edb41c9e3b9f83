import { useEffect, useState } from 'preact/hooks';
import { type Page, query } from '../shared/api';
import { type Order, missingLines, rejectionText, watchOrder } from '../shared/orders';
import type { Notification } from '../shared/types';
import { Pager, ProblemBanner, money, when, shortId, useTitle } from '../shared/ui';
import { api } from './session';

export function OrderStatus({ order, live }: { order: Order; live?: string }) {
  const reason = rejectionText(order);
  const missing = missingLines(order);
  return (
    <div class="order-status" role="status" aria-live="polite" data-live={live || undefined}>
      <p>
        Status: <strong class={`status status-${order.status}`}>{order.status}</strong>
      </p>
      {reason && (
        <div class="problem">
          <p>Rejected: {reason}</p>
          {missing.length > 0 && (
            <ul class="missing">
              {missing.map((line) => (
                <li>{line}</li>
              ))}
            </ul>
          )}
        </div>
      )}
    </div>
  );
}

export function OrderPage({ id }: { id: string }) {
  const [order, setOrder] = useState<Order | null>(null);
  const [how, setHow] = useState<'' | 'stream' | 'polling'>('');
  const [error, setError] = useState<unknown>(null);
  const [version, setVersion] = useState(0);
  useTitle(`Order ${shortId(id)}`);

  useEffect(() => {
    const abort = new AbortController();
    api
      .get<Order>(`/orders/${encodeURIComponent(id)}`)
      .then((first) => {
        if (abort.signal.aborted) return;
        setOrder(first);
        if (first.status === 'pending')
          watchOrder(
            api,
            id,
            (next, live) => {
              setOrder(next);
              setHow(live);
            },
            abort.signal,
          );
      })
      .catch(setError);
    return () => abort.abort();
  }, [id, version]);

  const cancel = async () => {
    try {
      setOrder((await api.request<Order>('POST', `/orders/${encodeURIComponent(id)}/cancel`)).data);
    } catch (e) {
      setError(e);
      setVersion((v) => v + 1);
    }
  };

  if (!order) return error ? <ProblemBanner error={error} /> : <p>Loading…</p>;
  return (
    <article aria-labelledby="order-title">
      <h1 id="order-title">Order {shortId(order.id)}</h1>
      <OrderStatus order={order} live={how} />
      {order.status === 'pending' && how && <p class="muted">Status updates: {how === 'stream' ? 'live' : 'checking every second'}.</p>}
      <ProblemBanner error={error} />
      <table>
        <caption class="visually-hidden">Order lines</caption>
        <thead>
          <tr>
            <th scope="col">Product</th>
            <th scope="col">Quantity</th>
            <th scope="col">Total</th>
          </tr>
        </thead>
        <tbody>
          {order.items.map((item) => (
            <tr>
              <th scope="row">{item.name ?? item.sku ?? item.productId}</th>
              <td>{item.quantity}</td>
              <td>{item.lineTotalCents !== undefined ? money(item.lineTotalCents, order.currency) : ''}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <p class="total">Total: {money(order.totalCents, order.currency)}</p>
      {(order.status === 'pending' || order.status === 'confirmed') && (
        <button type="button" onClick={cancel}>
          Cancel order
        </button>
      )}
      {order.history && order.history.length > 0 && (
        <>
          <h2>History</h2>
          <ol class="history">
            {order.history.map((h) => (
              <li>
                {when(h.at)}: {h.status}
                {h.reason ? ` (${h.reason})` : ''}
              </li>
            ))}
          </ol>
        </>
      )}
    </article>
  );
}

export function MyOrders() {
  useTitle('My orders');
  const [cursors, setCursors] = useState<string[]>([]);
  const [page, setPage] = useState<Page<Order> | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [version, setVersion] = useState(0);
  useEffect(() => {
    api.get<Page<Order>>('/orders' + query({ limit: 20, cursor: cursors[cursors.length - 1] })).then(setPage, setError);
  }, [cursors, version]);
  const cancel = async (order: Order) => {
    try {
      await api.request('POST', `/orders/${encodeURIComponent(order.id)}/cancel`);
      setError(null);
    } catch (e) {
      setError(e);
    }
    setVersion((v) => v + 1);
  };
  return (
    <section aria-labelledby="orders-title">
      <h1 id="orders-title">My orders</h1>
      <ProblemBanner error={error} />
      {page && page.items.length === 0 && <p>No orders yet.</p>}
      {page && page.items.length > 0 && (
        <table>
          <caption class="visually-hidden">My orders</caption>
          <thead>
            <tr>
              <th scope="col">Order</th>
              <th scope="col">Placed</th>
              <th scope="col">Status</th>
              <th scope="col">Total</th>
              <th scope="col">
                <span class="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {page.items.map((order) => (
              <tr>
                <th scope="row">
                  <a href={`#/orders/${order.id}`}>{shortId(order.id)}</a>
                </th>
                <td>{when(order.createdAt)}</td>
                <td>{order.status}</td>
                <td>{money(order.totalCents, order.currency)}</td>
                <td>
                  {(order.status === 'pending' || order.status === 'confirmed') && (
                    <button type="button" class="link" onClick={() => cancel(order)} aria-label={`Cancel order ${shortId(order.id)}`}>
                      Cancel
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <Pager cursors={cursors} next={page?.nextCursor ?? null} onPage={setCursors} label="Order pages" />
    </section>
  );
}

export function Notifications() {
  useTitle('Notifications');
  const [cursors, setCursors] = useState<string[]>([]);
  const [page, setPage] = useState<Page<Notification> | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    api.get<Page<Notification>>('/notifications' + query({ limit: 20, cursor: cursors[cursors.length - 1] })).then(setPage, setError);
  }, [cursors]);
  return (
    <section aria-labelledby="notifications-title">
      <h1 id="notifications-title">Notifications</h1>
      <ProblemBanner error={error} />
      {page && page.items.length === 0 && <p>No notifications yet.</p>}
      <ul class="notifications">
        {page?.items.map((n) => (
          <li class="card">
            <h2>{n.subject || n.eventType}</h2>
            <p class="muted">
              {when(n.createdAt)}, by {n.channel}: {n.status}
            </p>
            {n.body && <p class="body">{n.body}</p>}
          </li>
        ))}
      </ul>
      <Pager cursors={cursors} next={page?.nextCursor ?? null} onPage={setCursors} label="Notification pages" />
    </section>
  );
}
