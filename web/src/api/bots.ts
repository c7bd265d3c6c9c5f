/**
 * The bot endpoints (contract §3.6 B1–B8), plus the few reads the bot pages need from other
 * areas: the wallet balance and allocations (W1), the strategy selector (S2), the market's pairs,
 * a bot's FreqTrade profit (proxy) and its synced trades.
 */
import { api } from "../auth/session";
import type { Wallet } from "./wallet";

export type ContainerStatus = "running" | "stopped" | "error" | "unknown";

export interface Bot {
  instanceId: string;
  strategy: string;
  port: number | null;
  exchange: string;
  stake_currency: string;
  stake_amount: number | "unlimited"; // "unlimited": an adopted bot with FreqTrade's unlimited stake
  max_open_trades: number;
  timeframe: string;
  tradingPairs: string[];
  dry_run: boolean;
  containerStatus: ContainerStatus;
  state: string;
  createdAt: string | null;
}

export const STAKE_CURRENCIES = ["USD", "USDT", "EUR"] as const;
export type StakeCurrency = (typeof STAKE_CURRENCIES)[number];
export const TIMEFRAMES = ["1m", "5m", "15m", "30m", "1h", "4h", "1d"] as const;
export type Timeframe = (typeof TIMEFRAMES)[number];

/** The B2 body: every field is sent every time. */
export interface ProvisionRequest {
  instanceId: string;
  strategy: string;
  exchange: "kraken" | "binance" | "coinbase";
  stake_currency: StakeCurrency;
  stake_amount: number;
  max_open_trades: number;
  dry_run: boolean;
  tradingPairs: string[];
  initialBalance: number;
  timeframe: Timeframe;
}

export interface ProvisionResponse {
  success: boolean;
  message: string;
  instanceId: string;
  port: number | null;
  strategy: string;
  wallet: { previousBalance: number; newBalance: number; allocated: number };
}

export interface ActionResponse {
  success: boolean;
  message: string;
}

export interface DeleteResponse {
  success: boolean;
  message: string;
  cashedOut?: { amount: number; currency: string };
  wallet?: { previousBalance: number; newBalance: number; returned: number; pnl: number } | null;
  warnings?: string[];
}

export type LogLevel = "DEBUG" | "INFO" | "WARNING" | "ERROR" | "CRITICAL";
export const LOG_LEVELS: readonly LogLevel[] = ["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"];

export interface BotLogLine {
  ts: string | null;
  level: LogLevel;
  logger: string | null;
  message: string;
}

export interface BotLogsResponse {
  success: boolean;
  instanceId: string;
  logs: BotLogLine[];
  lines: number;
  level: LogLevel;
}

/** FreqTrade's `/api/v1/profit` (the fields the bot page shows). */
export interface BotProfit {
  profit_all_coin: number;
  profit_all_percent?: number;
  profit_closed_coin: number;
  profit_closed_percent?: number;
  trade_count: number;
  closed_trade_count?: number;
  winning_trades: number;
  losing_trades: number;
  first_trade_timestamp?: number;
}

export interface Trade {
  botId: string;
  tradeId: number;
  pair: string;
  status: "open" | "closed";
  isShort: boolean;
  amount: number | null;
  stakeAmount: number | null;
  openRate: number | null;
  closeRate: number | null;
  openDate: string | null;
  closeDate: string | null;
  realizedProfit: number | null;
  profitRatio: number | null;
  profitAbs: number | null;
  exitReason: string | null;
  strategy: string | null;
  stakeCurrency: string | null;
}

export interface TradesResponse {
  success: boolean;
  data: { trades: Trade[]; page: number; pageSize: number; total: number; totalPages: number };
}

/** The part of W1 the bot pages read (api/wallet.ts owns the rest). */
export type WalletSummary = Pick<Wallet, "balance" | "currency" | "botAllocations">;

export interface EnhancedStrategy {
  name: string;
  displayName: string;
  description: string;
  features?: string[];
  riskLevel?: string;
  timeframes?: string[];
}

export interface MarketsResponse {
  success: boolean;
  quote: string;
  pairs: string[];
}

const bot = (id: string) => `/api/freqtrade/bots/${encodeURIComponent(id)}`;

export async function listBots(): Promise<Bot[]> {
  const answer = await api.get<{ bots?: Bot[] } | Bot[]>("/api/freqtrade/bots");
  return Array.isArray(answer) ? answer : (answer.bots ?? []);
}

/** One bot from B1, or null when the caller has no bot of that id. */
export async function findBot(instanceId: string): Promise<Bot | null> {
  return (await listBots()).find((item) => item.instanceId === instanceId) ?? null;
}

export function provisionBot(body: ProvisionRequest): Promise<ProvisionResponse> {
  return api.post<ProvisionResponse>("/api/freqtrade/provision", body);
}

export function startBot(instanceId: string): Promise<ActionResponse> {
  return api.post<ActionResponse>(`${bot(instanceId)}/start`);
}

export function stopBot(instanceId: string): Promise<ActionResponse> {
  return api.post<ActionResponse>(`${bot(instanceId)}/stop`);
}

export function deleteBot(instanceId: string): Promise<DeleteResponse> {
  return api.delete<DeleteResponse>(bot(instanceId));
}

/** The money B5 put back into the wallet (cashedOut, else wallet.returned, else 0). */
export function returnedMoney(answer: DeleteResponse): { amount: number; currency: string } {
  if (answer.cashedOut && Number.isFinite(answer.cashedOut.amount)) return answer.cashedOut;
  return { amount: answer.wallet?.returned ?? 0, currency: "USD" };
}

export function botLogs(instanceId: string, lines: number, level: LogLevel): Promise<BotLogsResponse> {
  return api.get<BotLogsResponse>(`${bot(instanceId)}/logs`, { query: { lines, level } });
}

export function botProfit(instanceId: string): Promise<BotProfit> {
  return api.get<BotProfit>(`/api/freqtrade/proxy/${encodeURIComponent(instanceId)}/api/v1/profit`);
}

export async function botTrades(instanceId: string, pageSize = 100): Promise<Trade[]> {
  const answer = await api.get<TradesResponse>("/api/freqtrade/trades", { query: { bot: instanceId, status: "all", pageSize } });
  return answer.data.trades;
}

export async function walletSummary(): Promise<WalletSummary> {
  const answer = await api.get<{ success?: boolean; data?: WalletSummary }>("/api/account/wallet");
  if (!answer.success || !answer.data) throw new Error("Invalid wallet response format");
  return answer.data;
}

export async function enhancedStrategies(): Promise<EnhancedStrategy[]> {
  const answer = await api.get<{ strategies?: EnhancedStrategy[] }>("/api/freqtrade/strategies/enhanced");
  return answer.strategies ?? [];
}

/** The pairs shown when the market cannot be asked. */
export function fallbackPairs(quote: string): string[] {
  return ["BTC", "ETH", "SOL"].map((base) => `${base}/${quote}`);
}

/** The market's pairs for a quote currency; `live` is false when the fallback list is used. */
export async function marketPairs(quote: string): Promise<{ pairs: string[]; live: boolean }> {
  try {
    const answer = await api.get<MarketsResponse>("/api/freqtrade/markets", { query: { quote } });
    if (answer.success && Array.isArray(answer.pairs) && answer.pairs.length > 0) return { pairs: answer.pairs, live: true };
  } catch {
    // 503 (market unreachable) or an older gateway: the fallback below.
  }
  return { pairs: fallbackPairs(quote), live: false };
}

/** `<e-mail local part, letters and digits only>-bot-<n>`, n one more than the highest in use. */
export function suggestBotName(email: string | null | undefined, bots: readonly Pick<Bot, "instanceId">[]): string {
  const local = (email ?? "").split("@")[0] ?? "";
  const prefix = local.replace(/[^A-Za-z0-9]/g, "") || "my";
  let highest = 0;
  for (const item of bots) {
    const match = /-bot-(\d+)$/.exec(item.instanceId);
    if (match?.[1]) highest = Math.max(highest, Number(match[1]));
  }
  return `${prefix}-bot-${highest + 1}`;
}
