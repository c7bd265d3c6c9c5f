import { act, cleanup, fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { MemoryRouter } from "react-router-dom";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ApiError } from "../src/api/client";
import { normalizePortfolio, type PortfolioSummary } from "../src/api/portfolio";
import type { StreamListener } from "../src/lib/stream";

const calls: string[] = [];
const answers = new Map<string, () => unknown>();

vi.mock("../src/auth/session", () => ({
  api: {
    get: (path: string) => {
      calls.push(path);
      const answer = answers.get(path);
      return answer ? Promise.resolve(answer()) : Promise.reject(new ApiError(404, "API endpoint not found", "NOT_FOUND", null));
    },
    currentToken: () => Promise.resolve("token"),
  },
}));

const { DashboardPage, botCards } = await import("../src/pages/Dashboard");

function portfolio(value: number, pnl: number, timestamp = 1765000000000) {
  return {
    success: true,
    timestamp,
    portfolioValue: value,
    totalBalance: value,
    totalPnL: pnl,
    profitLossPercentage: (pnl / 1000) * 100,
    startingBalance: 1000,
    activeBots: 1,
    botCount: 2,
    bots: [
      { instanceId: "alice-bot-1", status: [{ pair: "BTC/USDT" }], metrics: { totalBalance: 512.3, totalPnL: pnl, startingCapital: 500, openTrades: 1 } },
      { instanceId: "alice-bot-2", error: "Bot is offline", metrics: { totalBalance: 0, totalPnL: 0, startingCapital: 0, openTrades: 0 } },
    ],
  };
}

const point = (minute: number, value: number) => ({ timestamp: 1765000000000 + minute * 60000, portfolioValue: value, totalPnL: value - 1000, showPoint: true, activeBots: 1, botCount: 2, snapshotCount: 1 });

let listener: StreamListener | null = null;
let closed = 0;
function fakeStream(next: StreamListener) {
  listener = next;
  next.onState?.("connecting");
  return () => {
    closed += 1;
  };
}

function renderPage() {
  return render(
    <MemoryRouter>
      <DashboardPage openStream={fakeStream} />
    </MemoryRouter>,
  );
}

beforeEach(() => {
  calls.length = 0;
  listener = null;
  closed = 0;
  answers.clear();
  answers.set("/api/freqtrade/portfolio", () => portfolio(1012.3, 12.3));
  answers.set("/api/freqtrade/charts/portfolio", () => ({ success: true, intervals: { "1h": { data: [point(0, 1000), point(5, 1012.3)], dataPoints: 2, timeRange: null }, "24h": { data: [point(0, 990), point(30, 1012.3)], dataPoints: 2, timeRange: null } } }));
  answers.set("/api/freqtrade/charts/portfolio/7d", () => ({ success: true, interval: "7d", data: [point(0, 900), point(240, 1012.3)] }));
  answers.set("/api/freqtrade/bots", () => ({
    success: true,
    bots: [
      { instanceId: "alice-bot-1", strategy: "SandboxScalp1m", stake_currency: "USD", containerStatus: "running", state: "running", tradingPairs: ["BTC/USDT"], dry_run: true },
      { instanceId: "alice-bot-2", strategy: "DCAStrategy", stake_currency: "USD", containerStatus: "stopped", state: "stopped", tradingPairs: [], dry_run: true },
    ],
  }));
  answers.set("/api/freqtrade/portfolio/positions", () => ({ success: true, positions: [{ botId: "alice-bot-1", pair: "BTC/USDT", side: "long", amount: 0.01, entryPrice: 50000, currentPrice: 51230, pnl: 12.3, pnlPercent: 2.46 }], count: 1 }));
});

afterEach(cleanup);

describe("DashboardPage", () => {
  it("shows P1's values, the positions, the bot cards and the stream state", async () => {
    renderPage();
    expect(screen.getByRole("heading", { level: 1, name: "Dashboard" })).toBeTruthy();
    expect(screen.getByTestId("stream-state").textContent).toBe("Connecting…");
    await waitFor(() => expect(screen.getByTestId("portfolio-value").textContent).toBe("$1,012.30"));
    expect(screen.getByTestId("total-pnl").textContent).toBe("+$12.30 (+1.23%)");
    expect(screen.getByTestId("active-bots").textContent).toBe("1 of 2");

    const row = await screen.findByTestId("position-alice-bot-1-BTC/USDT");
    expect(within(screen.getByRole("table", { name: "Open positions" })).getAllByRole("row")).toHaveLength(2);
    expect(row.textContent).toContain("+$12.30");
    expect(row.textContent).toContain("+2.46%");

    const first = screen.getByTestId("bot-card-alice-bot-1");
    expect(within(first).getByText("running")).toBeTruthy();
    expect(within(first).getByText("+$12.30")).toBeTruthy();
    expect(within(first).getByRole("link", { name: "alice-bot-1" }).getAttribute("href")).toBe("/bots/alice-bot-1");
    const second = screen.getByTestId("bot-card-alice-bot-2");
    expect(within(second).getByText("stopped")).toBeTruthy();

    expect(screen.getByRole("img").getAttribute("aria-label")).toBe("Portfolio value over 24h: from $990.00 to $1,012.30, 2 points");
    expect(screen.getByRole("button", { name: "24h" }).getAttribute("aria-pressed")).toBe("true");
  });

  it("shows the restart count B1 reports on the bot's card", async () => {
    answers.set("/api/freqtrade/bots", () => ({
      success: true,
      bots: [
        { instanceId: "alice-bot-1", strategy: "SandboxScalp1m", stake_currency: "USD", containerStatus: "running", state: "running", tradingPairs: ["BTC/USDT"], dry_run: true, restarts: 3 },
        { instanceId: "alice-bot-2", strategy: "DCAStrategy", stake_currency: "USD", containerStatus: "stopped", state: "stopped", tradingPairs: [], dry_run: true },
      ],
    }));
    renderPage();
    const restarts = (card: HTMLElement) => within(card).getByText("Restarts").nextElementSibling?.textContent;
    await waitFor(() => expect(restarts(screen.getByTestId("bot-card-alice-bot-1"))).toBe("3"));
    expect(restarts(screen.getByTestId("bot-card-alice-bot-2"))).toBe("—"); // neither B1 nor P1 has a count
  });

  it("updates on stream events and refetches P1/P2/B1 on every open", async () => {
    renderPage();
    await waitFor(() => expect(screen.getByTestId("portfolio-value").textContent).toBe("$1,012.30"));
    expect(calls.filter((path) => path === "/api/freqtrade/portfolio")).toHaveLength(1);

    act(() => {
      listener?.onState?.("live");
      listener?.onOpen?.();
    });
    expect(screen.getByTestId("stream-state").textContent).toBe("Live");
    await waitFor(() => expect(calls.filter((path) => path === "/api/freqtrade/portfolio")).toHaveLength(2));
    expect(calls.filter((path) => path === "/api/freqtrade/charts/portfolio")).toHaveLength(2);
    expect(calls.filter((path) => path === "/api/freqtrade/bots")).toHaveLength(2);

    const next = normalizePortfolio(portfolio(1050.75, 50.75, 1765000005000)) as PortfolioSummary;
    act(() => {
      listener?.onPortfolio?.(next);
      listener?.onPositions?.([]);
    });
    expect(screen.getByTestId("portfolio-value").textContent).toBe("$1,050.75");
    expect(screen.getByTestId("total-pnl").textContent).toBe("+$50.75 (+5.08%)");
    expect(within(screen.getByTestId("bot-card-alice-bot-1")).getByText("+$50.75")).toBeTruthy();
    expect(screen.getByText("No open positions")).toBeTruthy();

    act(() => listener?.onState?.("reconnecting"));
    expect(screen.getByTestId("stream-state").textContent).toBe("Reconnecting…");
    act(() => listener?.onState?.("offline"));
    expect(screen.getByTestId("stream-state").textContent).toBe("Offline");
  });

  it("an older P1 answer does not undo a newer stream event", async () => {
    renderPage();
    const next = normalizePortfolio(portfolio(2000, 1000, 1765000009000)) as PortfolioSummary;
    act(() => listener?.onPortfolio?.(next));
    await waitFor(() => expect(calls).toContain("/api/freqtrade/portfolio/positions"));
    await screen.findByTestId("position-alice-bot-1-BTC/USDT");
    expect(screen.getByTestId("portfolio-value").textContent).toBe("$2,000.00");
  });

  it("loads a range P2 did not have through P3, once", async () => {
    renderPage();
    await screen.findByRole("img");
    fireEvent.click(screen.getByRole("button", { name: "7d" }));
    expect(screen.getByRole("button", { name: "7d" }).getAttribute("aria-pressed")).toBe("true");
    await waitFor(() => expect(screen.getByRole("img").getAttribute("aria-label")).toBe("Portfolio value over 7d: from $900.00 to $1,012.30, 2 points"));
    fireEvent.click(screen.getByRole("button", { name: "1h" }));
    expect(screen.getByRole("img").getAttribute("aria-label")).toContain("over 1h: from $1,000.00");
    fireEvent.click(screen.getByRole("button", { name: "7d" }));
    expect(calls.filter((path) => path === "/api/freqtrade/charts/portfolio/7d")).toHaveLength(1);
    expect(calls.filter((path) => path.startsWith("/api/freqtrade/charts/portfolio/1h"))).toHaveLength(0);
  });

  it("shows an error with Retry when P1 fails, and the empty state for a user without bots", async () => {
    answers.delete("/api/freqtrade/portfolio");
    answers.set("/api/freqtrade/bots", () => ({ success: true, bots: [] }));
    renderPage();
    expect(await screen.findByText("Could not load your portfolio")).toBeTruthy();
    expect(screen.getByText("No bots yet")).toBeTruthy();
    expect(screen.getByRole("link", { name: "New bot" }).getAttribute("href")).toBe("/bots/new");
    answers.set("/api/freqtrade/portfolio", () => ({ ...portfolio(0, 0), activeBots: 0, botCount: 0, bots: [] }));
    fireEvent.click(screen.getByRole("button", { name: "Retry" }));
    await waitFor(() => expect(screen.getByTestId("portfolio-value").textContent).toBe("$0.00"));
  });

  it("closes the stream on unmount", () => {
    const { unmount } = renderPage();
    unmount();
    expect(closed).toBe(1);
  });
});

describe("botCards", () => {
  it("joins B1 with the portfolio and keeps bots only one of them knows", () => {
    const summary = normalizePortfolio({ portfolioValue: 1, bots: [{ instanceId: "b", status: [], metrics: { totalPnL: -3, openTrades: 0 }, restarts: 2 }, { instanceId: "c", error: "down", metrics: {} }] });
    const cards = botCards([{ instanceId: "a", strategy: "S", exchange: "kraken", stake_currency: "EUR", timeframe: "5m", tradingPairs: [], dry_run: true, containerStatus: "stopped", state: "stopped", restarts: null }], summary?.bots ?? []);
    expect(cards.map((card) => [card.instanceId, card.state, card.pnl, card.restarts, card.currency])).toEqual([
      ["a", "stopped", null, null, "EUR"],
      ["b", "running", -3, 2, "USD"],
      ["c", "error", null, null, "USD"],
    ]);
  });
});
