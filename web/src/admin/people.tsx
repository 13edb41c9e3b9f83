// Orders, users and notifications: the lists an admin watches.
import { useEffect, useState } from 'preact/hooks';
import { type Page, type User, query } from '../shared/api';
import { type Order, missingLines, rejectionText } from '../shared/orders';
import { navigate } from '../shared/router';
import type { Notification } from '../shared/types';
import { Notice, Pager, ProblemBanner, money, when, shortId, useTitle } from '../shared/ui';
import { api, path, useUser } from './session';

// The cursors belong to the list they were read from: another URL (another filter) starts on
// its first page.
function usePage<T>(url: string, version = 0) {
  const [paging, setPaging] = useState<{ url: string; cursors: string[] }>({ url, cursors: [] });
  const cursors = paging.url === url ? paging.cursors : [];
  const setCursors = (next: string[]) => setPaging({ url, cursors: next });
  const [page, setPage] = useState<Page<T> | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    const cursor = cursors[cursors.length - 1];
    const separator = url.includes('?') ? '&' : '?';
    api.get<Page<T>>(url + (cursor ? `${separator}cursor=${encodeURIComponent(cursor)}` : '')).then(
      (p) => (setPage(p), setError(null)),
      setError,
    );
  }, [url, cursors.join(' '), version]);
  return { page, error, cursors, setCursors };
}

export function Orders({ params }: { params: URLSearchParams }) {
  useTitle('Orders');
  const status = params.get('status') ?? '';
  const userId = params.get('userId') ?? '';
  const [user, setUser] = useState(userId);
  useEffect(() => setUser(userId), [userId]);
  const { page, error, cursors, setCursors } = usePage<Order>('/orders' + query({ status, userId, limit: 20 }));
  const go = (changes: Record<string, string>) => navigate('/orders' + query({ status, userId, ...changes }));
  return (
    <section aria-labelledby="orders-title">
      <h1 id="orders-title">Orders</h1>
      <form
        class="filters"
        onSubmit={(e) => {
          e.preventDefault();
          go({ userId: user.trim() });
        }}
      >
        <div class="field">
          <label for="order-status">Status</label>
          <select id="order-status" value={status} onChange={(e) => go({ status: e.currentTarget.value })}>
            <option value="">Any status</option>
            {['pending', 'confirmed', 'rejected', 'cancelled'].map((s) => (
              <option value={s}>{s}</option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for="order-user">User id</label>
          <input id="order-user" value={user} onInput={(e) => setUser(e.currentTarget.value)} />
        </div>
        <button type="submit">Filter</button>
      </form>
      <ProblemBanner error={error} />
      {page && page.items.length === 0 && <p>No orders match.</p>}
      {page && page.items.length > 0 && (
        <table>
          <caption class="visually-hidden">Orders</caption>
          <thead>
            <tr>
              <th scope="col">Order</th>
              <th scope="col">Placed</th>
              <th scope="col">User</th>
              <th scope="col">Status</th>
              <th scope="col">Total</th>
            </tr>
          </thead>
          <tbody>
            {page.items.map((o) => (
              <tr>
                <th scope="row">
                  <a href={`#/orders/${o.id}`}>{shortId(o.id)}</a>
                </th>
                <td>{when(o.createdAt)}</td>
                <td>
                  <a href={`#/orders?userId=${encodeURIComponent(o.userId)}`}>{shortId(o.userId)}</a>
                </td>
                <td>{o.status}</td>
                <td>{money(o.totalCents, o.currency)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <Pager cursors={cursors} next={page?.nextCursor ?? null} onPage={setCursors} label="Order pages" />
    </section>
  );
}

export function OrderDetail({ id }: { id: string }) {
  useTitle(`Order ${shortId(id)}`);
  const [order, setOrder] = useState<Order | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    api.get<Order>(`/orders/${path(id)}`).then(setOrder, setError);
  }, [id]);
  if (!order) return error ? <ProblemBanner error={error} /> : <p>Loading…</p>;
  const reason = rejectionText(order);
  return (
    <section aria-labelledby="order-title">
      <p>
        <a href="#/orders">All orders</a>
      </p>
      <h1 id="order-title">Order {shortId(order.id)}</h1>
      <p>
        Status: <strong>{order.status}</strong>, user <a href={`#/orders?userId=${encodeURIComponent(order.userId)}`}>{order.userId}</a>, total {money(order.totalCents, order.currency)}
      </p>
      {reason && (
        <div class="problem">
          <p>Rejected: {reason}</p>
          <ul>
            {missingLines(order).map((line) => (
              <li>{line}</li>
            ))}
          </ul>
        </div>
      )}
      <table>
        <caption class="visually-hidden">Order lines</caption>
        <thead>
          <tr>
            <th scope="col">Product</th>
            <th scope="col">Quantity</th>
            <th scope="col">Line total</th>
          </tr>
        </thead>
        <tbody>
          {order.items.map((item) => (
            <tr>
              <th scope="row">
                <a href={`#/products/${item.productId}`}>{item.name ?? item.sku ?? item.productId}</a>
              </th>
              <td>{item.quantity}</td>
              <td>{item.lineTotalCents !== undefined ? money(item.lineTotalCents, order.currency) : ''}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <h2>History</h2>
      <ol class="history">
        {(order.history ?? []).map((h) => (
          <li>
            {when(h.at)}: {h.status}
            {h.reason ? ` (${h.reason})` : ''}
          </li>
        ))}
      </ol>
    </section>
  );
}

export function Users() {
  useTitle('Users');
  const me = useUser();
  const [version, setVersion] = useState(0);
  const [done, setDone] = useState('');
  const [failure, setFailure] = useState<unknown>(null);
  const { page, error, cursors, setCursors } = usePage<User>('/users?limit=50', version);
  const change = async (user: User, patch: Partial<User>, message: string) => {
    setFailure(null);
    setDone('');
    try {
      await api.request('PATCH', `/users/${path(user.id)}`, patch);
      setDone(message);
    } catch (e) {
      setFailure(e);
    }
    setVersion((v) => v + 1);
  };
  return (
    <section aria-labelledby="users-title">
      <h1 id="users-title">Users</h1>
      {done && <Notice>{done}</Notice>}
      <ProblemBanner error={failure ?? error} />
      {page && (
        <table>
          <caption class="visually-hidden">Users</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Email</th>
              <th scope="col">Role</th>
              <th scope="col">Active</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {page.items.map((u) => (
              <tr>
                <th scope="row">{u.name}</th>
                <td>{u.email}</td>
                <td>
                  <label class="visually-hidden" for={`role-${u.id}`}>
                    Role of {u.email}
                  </label>
                  <select id={`role-${u.id}`} value={u.role} disabled={u.id === me?.id} onChange={(e) => change(u, { role: e.currentTarget.value as User['role'] }, `${u.email} is now ${e.currentTarget.value}.`)}>
                    <option value="user">user</option>
                    <option value="admin">admin</option>
                  </select>
                </td>
                <td>{u.active ? 'yes' : 'no'}</td>
                <td>
                  <div class="cell-actions">
                  <a href={`#/orders?userId=${encodeURIComponent(u.id)}`} aria-label={`Orders of ${u.email}`}>
                    Orders
                  </a>
                  {u.id !== me?.id && (
                    <button type="button" class={u.active ? 'danger' : ''} onClick={() => change(u, { active: !u.active }, `${u.email} ${u.active ? 'deactivated' : 'reactivated'}.`)} aria-label={`${u.active ? 'Deactivate' : 'Reactivate'} ${u.email}`}>
                      {u.active ? 'Deactivate' : 'Reactivate'}
                    </button>
                  )}
                  </div>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <Pager cursors={cursors} next={page?.nextCursor ?? null} onPage={setCursors} label="User pages" />
    </section>
  );
}

export function Notifications({ params }: { params: URLSearchParams }) {
  useTitle('Notifications');
  const status = params.get('status') ?? '';
  const { page, error, cursors, setCursors } = usePage<Notification>('/notifications' + query({ status, limit: 50 }));
  return (
    <section aria-labelledby="notifications-title">
      <h1 id="notifications-title">Notifications</h1>
      <div class="filters">
        <div class="field">
          <label for="notification-status">Status</label>
          <select id="notification-status" value={status} onChange={(e) => navigate('/notifications' + query({ status: e.currentTarget.value }))}>
            <option value="">Any status</option>
            <option value="delivered">delivered</option>
            <option value="failed">failed</option>
            <option value="pending">pending</option>
          </select>
        </div>
      </div>
      <ProblemBanner error={error} />
      {page && page.items.length === 0 && <p>No notifications match.</p>}
      {page && page.items.length > 0 && (
        <table>
          <caption class="visually-hidden">Notifications</caption>
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">Event</th>
              <th scope="col">Channel</th>
              <th scope="col">Recipient</th>
              <th scope="col">Status</th>
              <th scope="col">Attempts</th>
              <th scope="col">Last error</th>
            </tr>
          </thead>
          <tbody>
            {page.items.map((n) => (
              <tr>
                <td>{when(n.createdAt)}</td>
                <td>{n.eventType}</td>
                <td>{n.channel}</td>
                <td>{shortId(n.recipientId)}</td>
                <td>{n.status}</td>
                <td>{n.attempts}</td>
                <td>{n.lastError}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <Pager cursors={cursors} next={page?.nextCursor ?? null} onPage={setCursors} label="Notification pages" />
    </section>
  );
}
