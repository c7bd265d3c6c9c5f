/**
 * The dashboard's data (contract §3.5: P1 portfolio, P2/P3 charts, P4 positions; §3.6 B1 bots).
 * Answers are normalised with the contract's fallbacks, so the SSE events (same shapes) share them.
 */
import type { ApiClient } from "./client";

export const RANGES = ["1h", "24h", "7d", "30d"] as const;
export type ChartRange = (typeof RANGES)[number];

export interface BotMetrics {
  totalBalance: number;
  totalPnL: number;
  startingCapital: number;
  openTrades: number;
}

/** One bot in P1 / the `portfolio` event: `running` when its FreqTrade answered (status array). */
export interface BotAggregate {
  instanceId: string;
  running: boolean;
  error: string | null;
  metrics: BotMetrics;
  /** Restarts of the bot's process, when the server reports them (B1 and P1 do not yet). */
  restarts: number | null;
}

export interface PortfolioSummary {
  timestamp: number;
  portfolioValue: number;
  totalBalance: number;
  totalPnL: number;
  profitLossPercentage: number;
  startingBalance: number;
  activeBots: number;
  botCount: number;
  bots: BotAggregate[];
}

export interface ChartPoint {
  timestamp: number;
  portfolioValue: number;
  totalPnL: number;
  showPoint: boolean;
  activeBots: number;
  botCount: number;
}

export type ChartSeries = Partial<Record<ChartRange, ChartPoint[]>>;

export interface Position {
  botId: string;
  pair: string;
  side: string;
  amount: number;
  entryPrice: number;
  currentPrice: number;
  pnl: number;
  pnlPercent: number;
}

export type ContainerStatus = "running" | "stopped" | "error" | "unknown";

/** One B1 entry (the fields the dashboard reads). */
export interface BotInfo {
  instanceId: string;
  strategy: string;
  exchange: string;
  stake_currency: string;
  timeframe: string;
  tradingPairs: string[];
  dry_run: boolean;
  containerStatus: ContainerStatus;
  state: string;
  restarts: number | null;
}

type Json = Record<string, unknown>;

function isRecord(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function numberOr(...values: unknown[]): number | null {
  for (const value of values) {
    if (typeof value === "number" && Number.isFinite(value)) return value;
  }
  return null;
}

function num(...values: unknown[]): number {
  return numberOr(...values) ?? 0;
}

function text(value: unknown, fallback = ""): string {
  return typeof value === "string" ? value : fallback;
}

/** A timestamp in ms from a number (ms) or an ISO string; `fallback` when neither. */
export function toMillis(value: unknown, fallback: number): number {
  if (typeof value === "number" && Number.isFinite(value)) return value;
  if (typeof value === "string") {
    const parsed = Date.parse(value);
    if (!Number.isNaN(parsed)) return parsed;
  }
  return fallback;
}

function restartsOf(raw: Json): number | null {
  const value = numberOr(raw.restarts, raw.restartCount, raw.restart_count);
  return value === null ? null : Math.max(0, Math.round(value));
}

function botAggregate(raw: unknown): BotAggregate | null {
  if (!isRecord(raw) || typeof raw.instanceId !== "string" || raw.instanceId === "") return null;
  const metrics = isRecord(raw.metrics) ? raw.metrics : {};
  const error = typeof raw.error === "string" ? raw.error : null;
  return {
    instanceId: raw.instanceId,
    running: error === null && (Array.isArray(raw.status) || raw.status === "running"),
    error,
    metrics: {
      totalBalance: num(metrics.totalBalance),
      totalPnL: num(metrics.totalPnL),
      startingCapital: num(metrics.startingCapital),
      openTrades: num(metrics.openTrades, Array.isArray(raw.status) ? raw.status.length : undefined),
    },
    restarts: restartsOf(raw),
  };
}

/** P1 or a `portfolio` event with the contract's fallbacks; null when it is not a portfolio. */
export function normalizePortfolio(raw: unknown, now: number = Date.now()): PortfolioSummary | null {
  if (!isRecord(raw)) return null;
  if (numberOr(raw.portfolioValue, raw.totalBalance) === null) return null;
  const bots = (Array.isArray(raw.bots) ? raw.bots : []).map(botAggregate).filter((bot): bot is BotAggregate => bot !== null);
  const portfolioValue = num(raw.portfolioValue, raw.totalBalance);
  return {
    timestamp: toMillis(raw.timestamp, now),
    portfolioValue,
    totalBalance: num(raw.totalBalance, portfolioValue),
    totalPnL: num(raw.totalPnL, raw.profitLoss),
    profitLossPercentage: num(raw.profitLossPercentage, raw.pnlPercentage),
    startingBalance: num(raw.startingBalance, raw.starting_balance, raw.totalStartingCapital),
    activeBots: num(raw.activeBots, raw.botCount),
    botCount: num(raw.botCount, bots.length),
    bots,
  };
}

function chartPoint(raw: unknown): ChartPoint | null {
  if (!isRecord(raw)) return null;
  const timestamp = toMillis(raw.timestamp, Number.NaN);
  if (Number.isNaN(timestamp)) return null;
  return {
    timestamp,
    portfolioValue: num(raw.portfolioValue),
    totalPnL: num(raw.totalPnL),
    showPoint: raw.showPoint === true,
    activeBots: num(raw.activeBots),
    botCount: num(raw.botCount),
  };
}

/** The points of a series (`data[]`), oldest first; malformed points are dropped. */
export function normalizePoints(raw: unknown): ChartPoint[] {
  if (!Array.isArray(raw)) return [];
  return raw
    .map(chartPoint)
    .filter((point): point is ChartPoint => point !== null)
    .sort((a, b) => a.timestamp - b.timestamp);
}

function position(raw: unknown): Position | null {
  if (!isRecord(raw) || typeof raw.botId !== "string" || typeof raw.pair !== "string") return null;
  return {
    botId: raw.botId,
    pair: raw.pair,
    side: text(raw.side, "long"),
    amount: num(raw.amount),
    entryPrice: num(raw.entryPrice, raw.openRate),
    currentPrice: num(raw.currentPrice, raw.currentRate),
    pnl: num(raw.pnl, raw.profitAbs),
    pnlPercent: num(raw.pnlPercent, raw.profitPct),
  };
}

/** P4 or a `positions` event (`{positions:[…]}`); null when it has no positions array. */
export function normalizePositions(raw: unknown): Position[] | null {
  if (!isRecord(raw) || !Array.isArray(raw.positions)) return null;
  return raw.positions.map(position).filter((row): row is Position => row !== null);
}

const STATUSES: readonly string[] = ["running", "stopped", "error", "unknown"];

function botInfo(raw: unknown): BotInfo | null {
  if (!isRecord(raw) || typeof raw.instanceId !== "string" || raw.instanceId === "") return null;
  const status = text(raw.containerStatus, "unknown");
  return {
    instanceId: raw.instanceId,
    strategy: text(raw.strategy),
    exchange: text(raw.exchange),
    stake_currency: text(raw.stake_currency, "USD"),
    timeframe: text(raw.timeframe),
    tradingPairs: Array.isArray(raw.tradingPairs) ? raw.tradingPairs.filter((pair): pair is string => typeof pair === "string") : [],
    dry_run: raw.dry_run !== false,
    containerStatus: STATUSES.includes(status) ? (status as ContainerStatus) : "unknown",
    state: text(raw.state, status),
    restarts: restartsOf(raw),
  };
}

/** B1 `{success, bots}` (or a bare array). */
export function normalizeBots(raw: unknown): BotInfo[] {
  const list: unknown = Array.isArray(raw) ? raw : isRecord(raw) ? raw.bots : [];
  return Array.isArray(list) ? list.map(botInfo).filter((bot): bot is BotInfo => bot !== null) : [];
}

/** P1. */
export async function getPortfolio(api: ApiClient): Promise<PortfolioSummary> {
  const summary = normalizePortfolio(await api.get<unknown>("/api/freqtrade/portfolio"));
  if (!summary) throw new Error("The portfolio answer could not be read");
  return summary;
}

/** P2: every range at once (a missing range is left out, so P3 can load it). */
export async function getCharts(api: ApiClient): Promise<ChartSeries> {
  const body = await api.get<unknown>("/api/freqtrade/charts/portfolio");
  const series: ChartSeries = {};
  const intervals = isRecord(body) && isRecord(body.intervals) ? body.intervals : {};
  for (const range of RANGES) {
    const entry = intervals[range];
    if (isRecord(entry) && Array.isArray(entry.data)) series[range] = normalizePoints(entry.data);
  }
  return series;
}

/** P3: one range. */
export async function getChart(api: ApiClient, range: ChartRange): Promise<ChartPoint[]> {
  const body = await api.get<unknown>(`/api/freqtrade/charts/portfolio/${range}`);
  return normalizePoints(isRecord(body) ? body.data : undefined);
}

/** P4 with `?status=open`. */
export async function getOpenPositions(api: ApiClient): Promise<Position[]> {
  const body = await api.get<unknown>("/api/freqtrade/portfolio/positions", { query: { status: "open" } });
  return normalizePositions(body) ?? [];
}

/** B1. */
export async function getBots(api: ApiClient): Promise<BotInfo[]> {
  return normalizeBots(await api.get<unknown>("/api/freqtrade/bots"));
}
