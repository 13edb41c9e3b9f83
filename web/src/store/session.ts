import { useEffect, useState } from 'preact/hooks';
import { Api } from '../shared/api';

// The storefront keeps its refresh token in localStorage: a customer stays logged in across
// reloads and tabs (docs/web.md weighs this against sessionStorage).
export const api = new Api(localStorage, 'ordo.shop.refresh');

export function useUser() {
  const [user, setUser] = useState(api.user);
  useEffect(() => api.subscribe(() => setUser(api.user)), []);
  return user;
}
