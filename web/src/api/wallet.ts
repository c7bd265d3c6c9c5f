/** The paper wallet (contract §3.4, W1–W7) and its paged history. */
import type { ApiClient } from "./client";

export type TransactionType = "deposit" | "withdraw" | "allocate" | "deallocate" | "profit" | "loss";

export interface BotAllocation {
  allocatedAmount: number;
  currentValue: number;
  reservedInTrades: number;
  availableBalance: number;
  lifetimePnL: number;
  allocatedAt: string;
  botName: string;
}

export interface WalletTransaction {
  id?: string;
  type: TransactionType;
  amount: number;
  botId?: string;
  botName?: string;
  description: string;
  balanceAfter: number;
  timestamp: string;
}

export interface Wallet {
  balance: number;
  currency: string;
  lastUpdated: string;
  totalAllocated: number;
  totalCurrentValue: number;
  totalPortfolioValue: number;
  unrealizedPnL: number;
  botAllocations: Record<string, BotAllocation>;
  recentTransactions: WalletTransaction[];
}

export interface TransactionPage {
  transactions: WalletTransaction[];
  total: number;
  limit: number;
  offset: number;
}

interface Envelope<T> {
  success: boolean;
  message?: string;
  data: T;
}

/** W7 then W1, as the existing frontend does: allocations of deleted bots come back first. */
export async function loadWallet(api: ApiClient): Promise<Wallet> {
  await api.post("/api/freqtrade/sync-wallet").catch(() => undefined);
  const answer = await api.get<Envelope<Wallet>>("/api/account/wallet");
  return answer.data;
}

export function deposit(api: ApiClient, amount: number): Promise<Envelope<{ balance: number }>> {
  return api.post("/api/account/wallet/deposit", { amount, description: "Manual deposit" });
}

export function withdraw(api: ApiClient, amount: number): Promise<Envelope<{ balance: number }>> {
  return api.post("/api/account/wallet/withdraw", { amount, description: "Manual withdrawal" });
}

export function addToBot(api: ApiClient, botId: string, amount: number): Promise<Envelope<{ walletBalance: number; addedAmount: number }>> {
  return api.post("/api/account/wallet/add-to-bot", { botId, amount });
}

export function returnFromBot(
  api: ApiClient,
  botId: string,
  returnAmount?: number,
): Promise<Envelope<{ walletBalance: number; returnedAmount: number; pnl: number; isFullReturn: boolean }>> {
  return api.post("/api/account/wallet/return-from-bot", returnAmount === undefined ? { botId } : { botId, returnAmount });
}

export async function transactions(api: ApiClient, limit: number, offset: number): Promise<TransactionPage> {
  const answer = await api.get<Envelope<TransactionPage>>("/api/account/wallet/transactions", { query: { limit, offset } });
  return answer.data;
}

/** Money leaving the wallet is shown negative (contract §3.4). */
export function signedAmount(transaction: WalletTransaction): number {
  const outgoing = transaction.type === "withdraw" || transaction.type === "loss" || transaction.type === "allocate";
  return outgoing ? -Math.abs(transaction.amount) : Math.abs(transaction.amount);
}
