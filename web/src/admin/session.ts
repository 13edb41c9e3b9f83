import { useEffect, useState } from 'preact/hooks';
import { Api } from '../shared/api';

// The admin console keeps its refresh token in sessionStorage: a privileged session survives a
// reload but ends with the tab, and is never shared with the storefront's (docs/web.md).
export const api = new Api(sessionStorage, 'ordo.admin.refresh');

export function useUser() {
  const [user, setUser] = useState(api.user);
  useEffect(() => api.subscribe(() => setUser(api.user)), []);
  return user;
}

export const path = (...parts: string[]) => parts.map(encodeURIComponent).join('/');
