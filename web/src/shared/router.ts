// Hash routing (/#/cart, /admin#/products): the client's routes never reach the gateway, so they
// cannot collide with the API's paths (/products, /orders) and need no fallback route there.
import { useEffect, useState } from 'preact/hooks';

export function currentRoute(): string {
  const hash = location.hash.replace(/^#/, '');
  return hash.startsWith('/') ? hash : '/' + hash;
}

export function useRoute(): string {
  const [route, setRoute] = useState(currentRoute());
  useEffect(() => {
    const update = () => {
      setRoute(currentRoute());
      window.scrollTo(0, 0);
      // Like a page load for keyboard and screen-reader users: start at the new content.
      document.getElementById('main')?.focus({ preventScroll: true });
    };
    addEventListener('hashchange', update);
    return () => removeEventListener('hashchange', update);
  }, []);
  return route;
}

export function navigate(route: string) {
  location.hash = '#' + route;
}

/** The route's path and its query parameters ("/?q=x" → ["/", {q: "x"}]). */
export function splitRoute(route: string): [string, URLSearchParams] {
  const mark = route.indexOf('?');
  return mark < 0 ? [route, new URLSearchParams()] : [route.slice(0, mark), new URLSearchParams(route.slice(mark + 1))];
}
