// The admin console: products and stock, orders, users and notifications, for admins only.
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import '../shared/styles.css';
import { splitRoute, useRoute } from '../shared/router';
import { Field, ProblemBanner, errorFields, useTitle } from '../shared/ui';
import { Notifications, OrderDetail, Orders, Users } from './people';
import { EditProduct, NewProduct, ProductList } from './products';
import { api, useUser } from './session';
import { LowStock } from './stock';
import { WebhookDeliveries, Webhooks } from './webhooks';

function Login() {
  useTitle('Log in');
  const [error, setError] = useState<unknown>(null);
  const [refused, setRefused] = useState('');
  const [busy, setBusy] = useState(false);
  const fields = errorFields(error);
  return (
    <section class="narrow" aria-labelledby="login-title">
      <h1 id="login-title">Log in to the admin console</h1>
      <form
        noValidate
        onSubmit={async (e) => {
          e.preventDefault();
          const form = new FormData(e.currentTarget);
          setBusy(true);
          setError(null);
          setRefused('');
          try {
            const user = await api.login(String(form.get('email')), String(form.get('password')));
            if (user.role !== 'admin') {
              await api.logout();
              setRefused(`${user.email} is not an administrator: the admin console is for administrators only.`);
            }
          } catch (err) {
            setError(err);
          } finally {
            setBusy(false);
          }
        }}
      >
        <Field label="Email" name="email" type="email" autocomplete="username" required errors={fields} />
        <Field label="Password" name="password" type="password" autocomplete="current-password" required errors={fields} />
        <ProblemBanner error={error} />
        {refused && (
          <p class="problem" role="alert">
            {refused}
          </p>
        )}
        <button type="submit" class="primary" disabled={busy}>
          Log in
        </button>
      </form>
      <p>
        <a href="/">Back to the shop</a>
      </p>
    </section>
  );
}

function Page({ route }: { route: string }) {
  const [path, params] = splitRoute(route);
  let match: RegExpMatchArray | null;
  if (path === '/' || path === '/products') return <ProductList key={params.toString()} params={params} />;
  if (path === '/products/new') return <NewProduct />;
  if ((match = path.match(/^\/products\/([^/]+)$/))) return <EditProduct key={match[1]} id={decodeURIComponent(match[1])} params={params} />;
  if (path === '/stock/low') return <LowStock />;
  if (path === '/orders') return <Orders params={params} />;
  if ((match = path.match(/^\/orders\/([^/]+)$/))) return <OrderDetail id={decodeURIComponent(match[1])} />;
  if (path === '/users') return <Users />;
  if (path === '/notifications') return <Notifications params={params} />;
  if (path === '/webhooks') return <Webhooks />;
  if ((match = path.match(/^\/webhooks\/([^/]+)$/))) return <WebhookDeliveries id={decodeURIComponent(match[1])} />;
  return <p>No such page.</p>;
}

function App() {
  const route = useRoute();
  const user = useUser();
  const [resumed, setResumed] = useState(api.resumed);
  useEffect(() => {
    api.resume().finally(() => setResumed(true));
  }, []);
  const admin = user?.role === 'admin';
  return (
    <>
      <header class="top">
        <a class="brand" href="#/products">
          Ordo admin
        </a>
        {admin && (
          <nav aria-label="Admin">
            <a href="#/products">Products</a>
            <a href="#/stock/low">Low stock</a>
            <a href="#/orders">Orders</a>
            <a href="#/users">Users</a>
            <a href="#/notifications">Notifications</a>
            <a href="#/webhooks">Webhooks</a>
            <span class="who">{user.email}</span>
            <button type="button" class="link" onClick={() => api.logout()}>
              Log out
            </button>
          </nav>
        )}
      </header>
      <main id="main" tabIndex={-1}>{!resumed ? <p>Loading…</p> : admin ? <Page route={route} /> : <Login />}</main>
    </>
  );
}

render(<App />, document.getElementById('app')!);
