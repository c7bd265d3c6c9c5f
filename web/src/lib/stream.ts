/**
 * The dashboard's live portfolio stream (contract §4.1): an EventSource on
 * `${config.streamUrl}?token=…` delivering `portfolio` and `positions` events.
 *
 * On an error the source is closed and re-opened after an exponential back-off (1 s doubling to
 * 30 s, with jitter; reset after a successful open), with a fresh token each time. While the
 * browser is offline it waits for the `online` event instead. Everything time- or browser-related
 * is injectable so the tests drive it with a fake EventSource and fake timers.
 */
import { normalizePortfolio, normalizePositions, type Position, type PortfolioSummary } from "../api/portfolio";

export type StreamState = "connecting" | "live" | "reconnecting" | "offline";

/** The part of EventSource the stream uses. */
export interface EventSourceLike {
  onopen: ((event: Event) => void) | null;
  onerror: ((event: Event) => void) | null;
  onmessage: ((event: MessageEvent) => void) | null;
  addEventListener(type: string, listener: (event: MessageEvent) => void): void;
  close(): void;
}

export interface StreamListener {
  onState?: (state: StreamState) => void;
  /** Each successful (re)open: the moment to (re)fetch P1/P2/B1. */
  onOpen?: () => void;
  onPortfolio?: (portfolio: PortfolioSummary) => void;
  onPositions?: (positions: Position[]) => void;
}

type TimerId = ReturnType<typeof setTimeout>;

export interface StreamOptions {
  /** The stream URL without `?token=`. */
  url: string;
  /** A fresh token for each connection (e.g. `() => api.currentToken()`). */
  token: () => Promise<string | null>;
  createSource?: (url: string) => EventSourceLike;
  setTimer?: (callback: () => void, ms: number) => TimerId;
  clearTimer?: (id: TimerId) => void;
  /** 0 ≤ x < 1; jitter of the back-off. */
  random?: () => number;
  isOnline?: () => boolean;
  /** Subscribe to the window's `online`/`offline` events; returns the unsubscribe. */
  watchNetwork?: (onOnline: () => void, onOffline: () => void) => () => void;
}

export const BASE_DELAY_MS = 1_000;
export const MAX_DELAY_MS = 30_000;

/** The back-off before re-connect number `attempt` (0-based): 1 s, 2 s, 4 s … 30 s, ±20 % jitter. */
export function backoffDelay(attempt: number, random: () => number = Math.random): number {
  const base = Math.min(BASE_DELAY_MS * 2 ** attempt, MAX_DELAY_MS);
  return Math.min(Math.round(base * (0.8 + 0.4 * random())), MAX_DELAY_MS);
}

function parse(event: MessageEvent): unknown {
  if (typeof event.data !== "string") return undefined;
  try {
    return JSON.parse(event.data) as unknown;
  } catch {
    return undefined;
  }
}

function browserNetwork(onOnline: () => void, onOffline: () => void): () => void {
  window.addEventListener("online", onOnline);
  window.addEventListener("offline", onOffline);
  return () => {
    window.removeEventListener("online", onOnline);
    window.removeEventListener("offline", onOffline);
  };
}

export class PortfolioStream {
  private readonly options: Required<StreamOptions>;
  private readonly listeners = new Set<StreamListener>();
  private source: EventSourceLike | null = null;
  private timer: TimerId | null = null;
  private attempt = 0;
  /** Bumped by every connect and by close(): a token arriving for an older one is dropped. */
  private generation = 0;
  private stopNetwork: (() => void) | null = null;
  private closed = true;
  private current: StreamState = "connecting";

  constructor(options: StreamOptions) {
    this.options = {
      createSource: (url) => new EventSource(url),
      setTimer: (callback, ms) => setTimeout(callback, ms),
      clearTimer: (id) => {
        clearTimeout(id);
      },
      random: Math.random,
      isOnline: () => typeof navigator === "undefined" || navigator.onLine,
      watchNetwork: browserNetwork,
      ...options,
    };
  }

  get state(): StreamState {
    return this.current;
  }

  /** Listen; returns the unsubscribe. The listener is told the current state at once. */
  subscribe(listener: StreamListener): () => void {
    this.listeners.add(listener);
    listener.onState?.(this.current);
    return () => this.listeners.delete(listener);
  }

  /** Open the stream (no-op when already started). */
  start(): void {
    if (!this.closed) return;
    this.closed = false;
    this.attempt = 0;
    this.stopNetwork = this.options.watchNetwork(
      () => {
        this.handleOnline();
      },
      () => {
        this.goOffline();
      },
    );
    if (this.options.isOnline()) void this.connect("connecting");
    else this.goOffline();
  }

  /** Stop for good: closes the source, cancels timers and network listeners. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.generation += 1;
    this.teardown();
    this.stopNetwork?.();
    this.stopNetwork = null;
  }

  private setState(state: StreamState): void {
    if (state === this.current) return;
    this.current = state;
    this.listeners.forEach((listener) => listener.onState?.(state));
  }

  private teardown(): void {
    if (this.timer !== null) {
      this.options.clearTimer(this.timer);
      this.timer = null;
    }
    if (this.source) {
      const source = this.source;
      this.source = null;
      source.onopen = null;
      source.onerror = null;
      source.onmessage = null;
      source.close();
    }
  }

  private async connect(state: StreamState): Promise<void> {
    this.teardown();
    this.setState(state);
    this.generation += 1;
    const generation = this.generation;
    let token: string | null = null;
    try {
      token = await this.options.token();
    } catch {
      token = null;
    }
    if (this.closed || generation !== this.generation) return;
    if (!token) {
      this.scheduleReconnect();
      return;
    }
    const source = this.options.createSource(`${this.options.url}?token=${encodeURIComponent(token)}`);
    this.source = source;
    source.onopen = () => {
      if (this.source !== source) return;
      this.attempt = 0;
      this.setState("live");
      this.listeners.forEach((listener) => listener.onOpen?.());
    };
    source.onerror = () => {
      if (this.source !== source) return;
      this.scheduleReconnect();
    };
    source.addEventListener("portfolio", (event) => {
      if (this.source === source) this.publishPortfolio(parse(event));
    });
    source.addEventListener("positions", (event) => {
      if (this.source !== source) return;
      const positions = normalizePositions(parse(event));
      if (positions) this.listeners.forEach((listener) => listener.onPositions?.(positions));
    });
    // Contract §4.1: an unnamed event counts as `portfolio` when it has a portfolio value.
    source.onmessage = (event) => {
      if (this.source !== source) return;
      const data = parse(event);
      if (typeof data === "object" && data !== null && "portfolioValue" in data && data.portfolioValue) this.publishPortfolio(data);
    };
  }

  private publishPortfolio(data: unknown): void {
    const portfolio = normalizePortfolio(data);
    if (portfolio) this.listeners.forEach((listener) => listener.onPortfolio?.(portfolio));
  }

  private scheduleReconnect(): void {
    this.teardown();
    if (this.closed) return;
    if (!this.options.isOnline()) {
      this.goOffline();
      return;
    }
    this.setState("reconnecting");
    const delay = backoffDelay(this.attempt, this.options.random);
    this.attempt += 1;
    this.timer = this.options.setTimer(() => {
      this.timer = null;
      void this.connect("reconnecting");
    }, delay);
  }

  private goOffline(): void {
    if (this.closed) return;
    this.generation += 1;
    this.teardown();
    this.setState("offline");
  }

  private handleOnline(): void {
    if (this.closed) return;
    this.attempt = 0;
    void this.connect("connecting");
  }
}
