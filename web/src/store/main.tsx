// The storefront: catalog, product pages, account, cart, orders and notifications.
import { render } from 'preact';
import { useEffect } from 'preact/hooks';
import '../shared/styles.css';
import { splitRoute, useRoute, navigate } from '../shared/router';
import { LogIn, SignUp } from './account';
import { useCart } from './cart';
import { CartPage } from './cart-page';
import { Catalog } from './catalog';
import { MyOrders, Notifications, OrderPage } from './orders-page';
import { ProductPage } from './product';
import { api, useUser } from './session';

function Header() {
  const user = useUser();
  const lines = useCart();
  const count = lines.reduce((n, l) => n + l.quantity, 0);
  return (
    <header class="top">
      <a class="brand" href="#/">
        Ordo shop
      </a>
      <nav aria-label="Main">
        <a href="#/cart">Cart ({count})</a>
        {user ? (
          <>
            <a href="#/orders">My orders</a>
            <a href="#/notifications">Notifications</a>
            <span class="who">{user.name}</span>
            <button
              type="button"
              class="link"
              onClick={async () => {
                await api.logout();
                navigate('/');
              }}
            >
              Log out
            </button>
          </>
        ) : (
          <>
            <a href="#/login">Log in</a>
            <a href="#/signup">Sign up</a>
          </>
        )}
      </nav>
    </header>
  );
}

function Needs({ children }: { children: preact.ComponentChildren }) {
  const user = useUser();
  const route = useRoute();
  if (!api.resumed) return <p>Loading…</p>;
  if (!user) {
    return (
      <p>
        Please <a href={`#/login?next=${encodeURIComponent(route)}`}>log in</a> first.
      </p>
    );
  }
  return <>{children}</>;
}

function Page({ route }: { route: string }) {
  const [path, params] = splitRoute(route);
  const next = params.get('next') || '/';
  let match: RegExpMatchArray | null;
  if (path === '/') return <Catalog key={params.toString()} params={params} />;
  if ((match = path.match(/^\/products\/([^/]+)$/))) return <ProductPage id={decodeURIComponent(match[1])} />;
  if (path === '/cart') return <CartPage />;
  if (path === '/signup') return <SignUp next={next} />;
  if (path === '/login') return <LogIn next={next} />;
  if (path === '/orders')
    return (
      <Needs>
        <MyOrders />
      </Needs>
    );
  if ((match = path.match(/^\/orders\/([^/]+)$/)))
    return (
      <Needs>
        <OrderPage id={decodeURIComponent(match[1])} />
      </Needs>
    );
  if (path === '/notifications')
    return (
      <Needs>
        <Notifications />
      </Needs>
    );
  return (
    <p>
      No such page. <a href="#/">Back to the catalog</a>
    </p>
  );
}

function App() {
  const route = useRoute();
  useEffect(() => {
    api.resume();
  }, []);
  return (
    <>
      <a class="skip" href="#main" onClick={(e) => (e.preventDefault(), document.getElementById('main')?.focus())}>
        Skip to content
      </a>
      <Header />
      <main id="main" tabIndex={-1}>
        <Page route={route} />
      </main>
    </>
  );
}

render(<App />, document.getElementById('app')!);
