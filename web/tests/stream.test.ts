import { describe, expect, it } from "vitest";
import type { Position, PortfolioSummary } from "../src/api/portfolio";
import { backoffDelay, PortfolioStream, type EventSourceLike, type StreamState } from "../src/lib/stream";

class FakeSource implements EventSourceLike {
  onopen: ((event: Event) => void) | null = null;
  onerror: ((event: Event) => void) | null = null;
  onmessage: ((event: MessageEvent) => void) | null = null;
  closed = false;
  readonly listeners = new Map<string, ((event: MessageEvent) => void)[]>();
  constructor(readonly url: string) {}
  addEventListener(type: string, listener: (event: MessageEvent) => void): void {
    this.listeners.set(type, [...(this.listeners.get(type) ?? []), listener]);
  }
  close(): void {
    this.closed = true;
  }
  open(): void {
    this.onopen?.(new Event("open"));
  }
  fail(): void {
    this.onerror?.(new Event("error"));
  }
  emit(type: string, data: string): void {
    const event = new MessageEvent(type, { data });
    if (type === "message") this.onmessage?.(event);
    else (this.listeners.get(type) ?? []).forEach((listener) => listener(event));
  }
}

interface Timer {
  id: number;
  ms: number;
  callback: () => void;
}

function harness({ online = true }: { online?: boolean } = {}) {
  const sources: FakeSource[] = [];
  const timers: Timer[] = [];
  const states: StreamState[] = [];
  const portfolios: PortfolioSummary[] = [];
  const positions: Position[][] = [];
  let opens = 0;
  let tokenCount = 0;
  let nextId = 1;
  const network = { online, onOnline: () => undefined as void, onOffline: () => undefined as void, watching: false };
  const stream = new PortfolioStream({
    url: "/api/stream",
    token: () => {
      tokenCount += 1;
      return Promise.resolve(`tok ${String(tokenCount)}`);
    },
    createSource: (url) => {
      const source = new FakeSource(url);
      sources.push(source);
      return source;
    },
    setTimer: (callback, ms) => {
      const timer = { id: nextId++, ms, callback };
      timers.push(timer);
      return timer.id as unknown as ReturnType<typeof setTimeout>;
    },
    clearTimer: (id) => {
      const index = timers.findIndex((timer) => (timer.id as unknown) === id);
      if (index >= 0) timers.splice(index, 1);
    },
    random: () => 0.5,
    isOnline: () => network.online,
    watchNetwork: (onOnline, onOffline) => {
      network.onOnline = onOnline;
      network.onOffline = onOffline;
      network.watching = true;
      return () => {
        network.watching = false;
      };
    },
  });
  stream.subscribe({
    onState: (state) => states.push(state),
    onOpen: () => {
      opens += 1;
    },
    onPortfolio: (portfolio) => portfolios.push(portfolio),
    onPositions: (rows) => positions.push(rows),
  });
  /** Run the one pending timer (and let the token promise settle). */
  async function fire(): Promise<number> {
    const timer = timers.shift();
    if (!timer) throw new Error("no timer pending");
    timer.callback();
    await settle();
    return timer.ms;
  }
  return { stream, sources, timers, states, portfolios, positions, network, fire, opens: () => opens, last: () => sources[sources.length - 1] };
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

describe("backoffDelay", () => {
  it("doubles from 1 s up to 30 s and jitters by at most 20 %", () => {
    expect([0, 1, 2, 3, 4, 5, 6, 10].map((n) => backoffDelay(n, () => 0.5))).toEqual([1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000]);
    expect(backoffDelay(0, () => 0)).toBe(800);
    expect(backoffDelay(0, () => 0.999)).toBe(1200);
    expect(backoffDelay(8, () => 0.999)).toBe(30000);
  });
});

describe("PortfolioStream", () => {
  it("connects with a token in the query and goes live on open", async () => {
    const h = harness();
    h.stream.start();
    await settle();
    expect(h.sources).toHaveLength(1);
    expect(h.last()?.url).toBe("/api/stream?token=tok%201");
    expect(h.states).toEqual(["connecting"]);
    h.last()?.open();
    expect(h.states).toEqual(["connecting", "live"]);
    expect(h.opens()).toBe(1);
  });

  it("reconnects with exponential back-off and a fresh token each time", async () => {
    const h = harness();
    h.stream.start();
    await settle();
    const delays: number[] = [];
    for (let i = 0; i < 7; i++) {
      h.last()?.fail();
      expect(h.sources.every((source) => source.closed)).toBe(true);
      expect(h.timers).toHaveLength(1);
      delays.push(await h.fire());
    }
    expect(delays).toEqual([1000, 2000, 4000, 8000, 16000, 30000, 30000]);
    expect(h.sources.map((source) => source.url)).toEqual([1, 2, 3, 4, 5, 6, 7, 8].map((n) => `/api/stream?token=tok%20${String(n)}`));
    expect(h.states).toEqual(["connecting", "reconnecting"]);
  });

  it("resets the back-off after a successful open", async () => {
    const h = harness();
    h.stream.start();
    await settle();
    h.last()?.fail();
    expect(await h.fire()).toBe(1000);
    h.last()?.fail();
    expect(await h.fire()).toBe(2000);
    h.last()?.open();
    expect(h.stream.state).toBe("live");
    h.last()?.fail();
    expect(h.stream.state).toBe("reconnecting");
    expect(await h.fire()).toBe(1000);
    h.last()?.open();
    expect(h.states).toEqual(["connecting", "reconnecting", "live", "reconnecting", "live"]);
    expect(h.opens()).toBe(2);
  });

  it("parses portfolio and positions events and ignores malformed data", async () => {
    const h = harness();
    h.stream.start();
    await settle();
    const source = h.last();
    source?.open();
    source?.emit("portfolio", JSON.stringify({ timestamp: 1765000000000, portfolioValue: 1012.3, totalPnL: 12.3, profitLossPercentage: 1.23, activeBots: 1, botCount: 2, bots: [{ instanceId: "a-bot-1", status: [{}], metrics: { totalBalance: 512.3, totalPnL: 12.3, startingCapital: 500, openTrades: 1 } }, { instanceId: "a-bot-2", error: "Bot is offline", metrics: {} }] }));
    source?.emit("portfolio", "{not json");
    source?.emit("portfolio", JSON.stringify({ hello: "world" }));
    source?.emit("portfolio", JSON.stringify([1, 2]));
    source?.emit("positions", JSON.stringify({ positions: [{ botId: "a-bot-1", pair: "BTC/USDT", side: "long", amount: 0.01, entryPrice: 50000, currentPrice: 51000, pnl: 10, pnlPercent: 2 }, { pair: "no bot" }], count: 2 }));
    source?.emit("positions", "nope");
    source?.emit("positions", JSON.stringify({ count: 0 }));
    source?.emit("message", JSON.stringify({ portfolioValue: 999, totalPnL: -1 }));
    source?.emit("message", JSON.stringify({ portfolioValue: 0 }));
    source?.emit("connected", JSON.stringify({ status: "connected" }));

    expect(h.portfolios).toHaveLength(2);
    const first = h.portfolios[0];
    expect(first?.portfolioValue).toBe(1012.3);
    expect(first?.totalBalance).toBe(1012.3);
    expect(first?.timestamp).toBe(1765000000000);
    expect(first?.bots.map((bot) => [bot.instanceId, bot.running, bot.error, bot.metrics.openTrades])).toEqual([
      ["a-bot-1", true, null, 1],
      ["a-bot-2", false, "Bot is offline", 0],
    ]);
    expect(h.portfolios[1]?.portfolioValue).toBe(999);
    expect(h.positions).toEqual([[{ botId: "a-bot-1", pair: "BTC/USDT", side: "long", amount: 0.01, entryPrice: 50000, currentPrice: 51000, pnl: 10, pnlPercent: 2 }]]);
    expect(h.stream.state).toBe("live");
  });

  it("close() stops the source, the timers and the network listeners", async () => {
    const h = harness();
    h.stream.start();
    await settle();
    h.last()?.fail();
    expect(h.timers).toHaveLength(1);
    h.stream.close();
    expect(h.timers).toHaveLength(0);
    expect(h.network.watching).toBe(false);
    expect(h.sources.every((source) => source.closed)).toBe(true);
    const count = h.sources.length;
    h.network.onOnline();
    await settle();
    expect(h.sources).toHaveLength(count);
  });

  it("close() while the token is being fetched opens nothing", async () => {
    const h = harness();
    h.stream.start();
    h.stream.close();
    await settle();
    expect(h.sources).toHaveLength(0);
  });

  it("events from a replaced source are ignored", async () => {
    const h = harness();
    h.stream.start();
    await settle();
    const old = h.last();
    old?.fail();
    await h.fire();
    old?.emit("portfolio", JSON.stringify({ portfolioValue: 5 }));
    expect(h.portfolios).toHaveLength(0);
  });

  it("goes offline with the browser and reconnects at once on `online`", async () => {
    const h = harness();
    h.stream.start();
    await settle();
    h.last()?.open();
    h.last()?.fail();
    expect(h.timers).toHaveLength(1);
    h.network.online = false;
    h.network.onOffline();
    expect(h.stream.state).toBe("offline");
    expect(h.timers).toHaveLength(0);
    expect(h.sources.every((source) => source.closed)).toBe(true);
    h.network.online = true;
    h.network.onOnline();
    expect(h.stream.state).toBe("connecting");
    await settle();
    expect(h.sources).toHaveLength(2);
    h.last()?.open();
    expect(h.states).toEqual(["connecting", "live", "reconnecting", "offline", "connecting", "live"]);
  });

  it("starts offline when the browser is offline, and an error while offline waits for `online`", async () => {
    const h = harness({ online: false });
    h.stream.start();
    await settle();
    expect(h.stream.state).toBe("offline");
    expect(h.sources).toHaveLength(0);
    h.network.online = true;
    h.network.onOnline();
    await settle();
    h.network.online = false;
    h.last()?.fail();
    expect(h.stream.state).toBe("offline");
    expect(h.timers).toHaveLength(0);
  });

  it("retries with back-off when no token is available", async () => {
    const sources: FakeSource[] = [];
    const delays: number[] = [];
    const stream = new PortfolioStream({
      url: "/s",
      token: () => Promise.resolve(null),
      createSource: (url) => {
        const source = new FakeSource(url);
        sources.push(source);
        return source;
      },
      setTimer: (_callback, ms) => {
        delays.push(ms);
        return 0 as unknown as ReturnType<typeof setTimeout>;
      },
      clearTimer: () => undefined,
      random: () => 0.5,
      isOnline: () => true,
      watchNetwork: () => () => undefined,
    });
    stream.start();
    await settle();
    expect(sources).toHaveLength(0);
    expect(stream.state).toBe("reconnecting");
    expect(delays).toEqual([1000]);
    stream.close();
  });
});
