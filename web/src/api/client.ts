/**
 * The gateway's HTTP client: bearer token, JSON bodies, one error type, silent token refresh.
 *
 * Every error body of the gateway is `{success:false, message, code}` (contract §2.2); a
 * non-JSON answer becomes `Server error: <status>`. A 401 on an authenticated call refreshes
 * the token once and retries; a second 401 signs the user out.
 */

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly field: string | null;
  readonly body: unknown;

  constructor(status: number, message: string, code: string, body: unknown, field: string | null = null) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.body = body;
    this.field = field;
  }
}

/** Where the access token lives (`localStorage["auth_token"]`, as the existing frontend). */
export interface TokenStore {
  get(): string | null;
  set(token: string | null): void;
}

export const TOKEN_KEY = "auth_token";

export const localTokenStore: TokenStore = {
  get: () => window.localStorage.getItem(TOKEN_KEY),
  set: (token) => {
    if (token) window.localStorage.setItem(TOKEN_KEY, token);
    else window.localStorage.removeItem(TOKEN_KEY);
  },
};

export type Query = Record<string, string | number | boolean | undefined | null>;

export interface RequestOptions {
  body?: unknown;
  query?: Query;
  /** Send the token (default true). */
  auth?: boolean;
  /** Send cookies: the auth routes that read or set the refresh cookie. */
  credentials?: boolean;
  signal?: AbortSignal;
}

export interface ClientOptions {
  baseUrl: string;
  tokens: TokenStore;
  /** A new access token (refresh cookie or Firebase), or null when the session is over. */
  refresh?: () => Promise<string | null>;
  /** Called when the session cannot be renewed (the app signs out). */
  onSessionLost?: () => void;
  fetch?: typeof fetch;
  /** Clock in ms (tests). */
  now?: () => number;
}

/** Refresh a backend JWT this long before it expires (contract §2.4: 60 s). */
export const REFRESH_MARGIN_MS = 60_000;

/** The `exp` claim of a JWT in ms, or null when it cannot be read. */
export function tokenExpiry(token: string): number | null {
  const payload = token.split(".")[1];
  if (!payload) return null;
  try {
    const json = atob(payload.replace(/-/g, "+").replace(/_/g, "/")) ;
    const claims = JSON.parse(json) as { exp?: unknown };
    return typeof claims.exp === "number" ? claims.exp * 1000 : null;
  } catch {
    return null;
  }
}

function errorOf(status: number, body: unknown): ApiError {
  if (body && typeof body === "object") {
    const record = body as Record<string, unknown>;
    const message =
      typeof record.message === "string"
        ? record.message
        : typeof record.error === "string"
          ? record.error
          : `Server error: ${status}`;
    const code = typeof record.code === "string" ? record.code : `HTTP_${status}`;
    const field = typeof record.field === "string" ? record.field : null;
    return new ApiError(status, message, code, body, field);
  }
  return new ApiError(status, `Server error: ${status}`, `HTTP_${status}`, body);
}

export class ApiClient {
  readonly baseUrl: string;
  private readonly tokens: TokenStore;
  private readonly refreshToken: (() => Promise<string | null>) | undefined;
  private readonly onSessionLost: (() => void) | undefined;
  private readonly fetchImpl: typeof fetch;
  private readonly now: () => number;
  private refreshing: Promise<string | null> | null = null;

  constructor(options: ClientOptions) {
    this.baseUrl = options.baseUrl;
    this.tokens = options.tokens;
    this.refreshToken = options.refresh;
    this.onSessionLost = options.onSessionLost;
    this.fetchImpl = options.fetch ?? ((input, init) => window.fetch(input, init));
    this.now = options.now ?? (() => Date.now());
  }

  url(path: string, query?: Query): string {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(query ?? {})) {
      if (value !== undefined && value !== null) params.set(key, String(value));
    }
    const search = params.toString();
    return `${this.baseUrl}${path}${search ? `?${search}` : ""}`;
  }

  get<T>(path: string, options: RequestOptions = {}): Promise<T> {
    return this.request<T>("GET", path, options);
  }

  post<T>(path: string, body?: unknown, options: RequestOptions = {}): Promise<T> {
    return this.request<T>("POST", path, { ...options, body });
  }

  put<T>(path: string, body?: unknown, options: RequestOptions = {}): Promise<T> {
    return this.request<T>("PUT", path, { ...options, body });
  }

  delete<T>(path: string, options: RequestOptions = {}): Promise<T> {
    return this.request<T>("DELETE", path, options);
  }

  /** The current token, refreshed first when it is a JWT about to expire. */
  async currentToken(): Promise<string | null> {
    const token = this.tokens.get();
    if (!token) return null;
    const expiry = tokenExpiry(token);
    if (expiry !== null && expiry - this.now() < REFRESH_MARGIN_MS) {
      return (await this.renew()) ?? token;
    }
    return token;
  }

  /** Ask for a new token once, however many calls are waiting for it. */
  renew(): Promise<string | null> {
    if (!this.refreshToken) return Promise.resolve(null);
    this.refreshing ??= this.refreshToken()
      .catch(() => null)
      .then((token) => {
        if (token) this.tokens.set(token);
        return token;
      })
      .finally(() => {
        this.refreshing = null;
      });
    return this.refreshing;
  }

  async request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const auth = options.auth ?? true;
    const token = auth ? await this.currentToken() : null;
    let response = await this.send(method, path, options, token);
    if (response.status === 401 && auth && token) {
      const renewed = await this.renew();
      if (renewed) response = await this.send(method, path, options, renewed);
      if (response.status === 401) this.onSessionLost?.();
    }
    return this.parse<T>(response);
  }

  private send(method: string, path: string, options: RequestOptions, token: string | null): Promise<Response> {
    const headers: Record<string, string> = { Accept: "application/json" };
    if (options.body !== undefined) headers["Content-Type"] = "application/json";
    if (token) headers.Authorization = `Bearer ${token}`;
    const init: RequestInit = { method, headers };
    if (options.body !== undefined) init.body = JSON.stringify(options.body);
    if (options.credentials) init.credentials = "include";
    if (options.signal) init.signal = options.signal;
    return this.fetchImpl(this.url(path, options.query), init);
  }

  private async parse<T>(response: Response): Promise<T> {
    const text = await response.text();
    let body: unknown = null;
    if (text) {
      try {
        body = JSON.parse(text);
      } catch {
        body = text;
      }
    }
    if (!response.ok) throw errorOf(response.status, body);
    return body as T;
  }
}

/** A readable message for anything a call can throw. */
export function messageOf(error: unknown): string {
  if (error instanceof ApiError) return error.message;
  if (error instanceof Error) return error.name === "TypeError" ? "The server cannot be reached" : error.message;
  return String(error);
}
