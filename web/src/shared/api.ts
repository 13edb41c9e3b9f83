// The API client both apps share: JSON in and out, problem+json turned into ApiError (with the
// per-field messages keyed by field name), and the session: an access token held in memory, the
// refresh token in Web Storage so that a reload keeps the session (docs/web.md says why), renewed
// silently before it expires or once after a 401.

export interface FieldErrors {
  [field: string]: string;
}

export interface Problem {
  type?: string;
  title?: string;
  status?: number;
  detail?: string;
  errors?: { field?: string; message?: string }[];
}

export class ApiError extends Error {
  readonly status: number;
  readonly problem: Problem;
  readonly fields: FieldErrors;
  constructor(status: number, problem: Problem) {
    super(problem.detail || problem.title || `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
    this.fields = {};
    for (const error of problem.errors ?? []) {
      if (error.field) this.fields[error.field] = error.message ?? 'is invalid';
    }
  }
}

export interface User {
  id: string;
  email: string;
  name: string;
  role: 'admin' | 'user';
  active: boolean;
  createdAt?: string;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export interface ApiResponse<T> {
  status: number;
  data: T;
  headers: Headers;
}

interface TokenPair {
  access_token: string;
  expires_in: number;
  refresh_token: string;
}

type Listener = () => void;

export class Api {
  user: User | null = null;
  /** False until resume() has tried the stored session: pages that need a user wait for it. */
  resumed = false;
  private accessToken: string | null = null;
  private expiresAt = 0;
  private refreshing: Promise<boolean> | null = null;
  private listeners = new Set<Listener>();

  constructor(
    private readonly storage: Storage,
    private readonly storageKey: string,
  ) {}

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private changed() {
    for (const listener of this.listeners) listener();
  }

  get refreshToken(): string | null {
    try {
      return this.storage.getItem(this.storageKey);
    } catch {
      return null;
    }
  }

  private set refreshToken(token: string | null) {
    try {
      if (token) this.storage.setItem(this.storageKey, token);
      else this.storage.removeItem(this.storageKey);
    } catch {
      // Storage full or disabled: the session then lasts until the page is closed.
    }
  }

  private accept(tokens: TokenPair) {
    this.accessToken = tokens.access_token;
    this.expiresAt = Date.now() + tokens.expires_in * 1000;
    this.refreshToken = tokens.refresh_token;
  }

  /** Restores the session a reload left behind (if its refresh token is still good). */
  async resume(): Promise<void> {
    try {
      if (this.refreshToken && (await this.refresh())) await this.loadUser();
    } catch {
      // The session could not be restored: the visitor logs in again.
    }
    this.resumed = true;
    this.changed();
  }

  async login(email: string, password: string): Promise<User> {
    const answer = await this.request<TokenPair>('POST', '/users/login', { email, password }, { anonymous: true });
    this.accept(answer.data);
    return this.loadUser();
  }

  async loadUser(): Promise<User> {
    const me = await this.request<User>('GET', '/users/me');
    this.user = me.data;
    this.changed();
    return me.data;
  }

  async logout(): Promise<void> {
    const token = this.refreshToken;
    if (token && this.accessToken) {
      try {
        await this.request('POST', '/users/logout', { refresh_token: token });
      } catch {
        // Forgetting the tokens here is what matters; the server's copy expires anyway.
      }
    }
    this.forget();
  }

  forget() {
    this.accessToken = null;
    this.expiresAt = 0;
    this.refreshToken = null;
    this.user = null;
    this.changed();
  }

  /** One refresh at a time: a rotated refresh token is good for one use only. */
  refresh(): Promise<boolean> {
    if (!this.refreshing) {
      this.refreshing = this.rotate().finally(() => {
        this.refreshing = null;
      });
    }
    return this.refreshing;
  }

  // Across tabs too: two tabs presenting the same refresh token would look like a stolen token
  // being replayed (the users service then revokes the session). Under the lock, the second tab
  // reads the token the first one stored.
  private rotate(): Promise<boolean> {
    const locks = (navigator as Navigator & { locks?: LockManager }).locks;
    return locks ? locks.request(this.storageKey, () => this.rotateNow()) : this.rotateNow();
  }

  private async rotateNow(): Promise<boolean> {
    const token = this.refreshToken;
    if (!token) return false;
    try {
      const answer = await this.request<TokenPair>('POST', '/users/refresh', { refresh_token: token }, { anonymous: true });
      this.accept(answer.data);
      return true;
    } catch (error) {
      if (error instanceof ApiError && (error.status === 401 || error.status === 400)) this.forget();
      return false;
    }
  }

  /** The Authorization header's value, renewed first when the token is about to expire. */
  async authorization(): Promise<string | null> {
    if (this.accessToken && Date.now() > this.expiresAt - 20_000) await this.refresh();
    return this.accessToken ? `Bearer ${this.accessToken}` : null;
  }

  async request<T = unknown>(
    method: string,
    path: string,
    body?: unknown,
    options: { anonymous?: boolean; headers?: Record<string, string>; retried?: boolean } = {},
  ): Promise<ApiResponse<T>> {
    const headers: Record<string, string> = { Accept: 'application/json', ...options.headers };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    if (!options.anonymous) {
      const authorization = await this.authorization();
      if (authorization) headers.Authorization = authorization;
    }
    let response: Response;
    try {
      response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    } catch {
      throw new ApiError(0, { title: 'Network error', detail: 'The shop could not be reached. Check the connection and try again.' });
    }
    if (response.status === 401 && !options.anonymous && !options.retried && this.refreshToken) {
      if (await this.refresh()) return this.request<T>(method, path, body, { ...options, retried: true });
    }
    const text = await response.text();
    let data: unknown = null;
    if (text) {
      try {
        data = JSON.parse(text);
      } catch {
        data = text;
      }
    }
    if (!response.ok && response.status !== 304) {
      const problem: Problem = data && typeof data === 'object' ? (data as Problem) : { title: response.statusText };
      throw new ApiError(response.status, problem);
    }
    return { status: response.status, data: data as T, headers: response.headers };
  }

  async get<T>(path: string): Promise<T> {
    return (await this.request<T>('GET', path)).data;
  }
}

/** A query string from the values that are set. */
export function query(params: Record<string, string | number | null | undefined>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== '') search.set(key, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : '';
}

/** A random Idempotency-Key (crypto.randomUUID needs a secure context; this does not). */
export function randomKey(): string {
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}
