/** Strategies (S1/S2) and the admins' strategy store (`/api/admin/strategies*`, docs/strategies.md). */
import type { ApiClient } from "./client";

export interface EnhancedStrategy {
  name: string;
  displayName: string;
  description: string;
  features: string[];
  riskLevel: string;
  recommendedFor: string;
  timeframes: string[];
  version: number;
}

export interface ChangelogItem {
  version: number;
  commit: string;
  message: string;
  author: string;
  at: string;
}

export interface StrategyDetail {
  className: string;
  fileName: string;
  displayName: string;
  description: string;
  riskLevel: string;
  version: number;
  defaultVersion: number;
  changelog: ChangelogItem[];
}

export interface ValidationFailure {
  kind: string;
  message: string;
  file?: string | null;
  line?: number | null;
}

export interface ValidationReport {
  passed: boolean;
  strategy: string;
  errors: ValidationFailure[];
  trades: number;
  signals: { enter_long: number; exit_long: number };
  duration_s: number;
  freqtrade_version?: string;
}

export interface UploadAnswer {
  message: string;
  commit: string;
  strategies: StrategyDetail[];
  reports: ValidationReport[];
}

export interface BotDeploy {
  botId: string;
  version: number | null;
  applied: string | null;
  rolledBack: boolean;
  message: string;
}

export interface DeployAnswer {
  message: string;
  strategy: string;
  version: number;
  defaultSet: boolean;
  bots: BotDeploy[];
}

export async function enhancedStrategies(api: ApiClient): Promise<EnhancedStrategy[]> {
  return (await api.get<{ strategies: EnhancedStrategy[] }>("/api/freqtrade/strategies/enhanced")).strategies;
}

export async function storeStrategies(api: ApiClient): Promise<StrategyDetail[]> {
  return (await api.get<{ strategies: StrategyDetail[] }>("/api/admin/strategies")).strategies;
}

export function upload(api: ApiClient, fileName: string, source: string, message: string): Promise<UploadAnswer> {
  return api.post<UploadAnswer>("/api/admin/strategies", { fileName, source, message });
}

export async function diff(api: ApiClient, className: string, oldVersion: number, newVersion: number): Promise<string> {
  const path = `/api/admin/strategies/${encodeURIComponent(className)}/diff`;
  return (await api.get<{ diff: string }>(path, { query: { old: oldVersion, new: newVersion } })).diff;
}

export function deploy(api: ApiClient, className: string, version: number, setDefault: boolean): Promise<DeployAnswer> {
  return api.post<DeployAnswer>(`/api/admin/strategies/${encodeURIComponent(className)}/deploy`, { version, allBots: true, default: setDefault });
}

export function rollback(api: ApiClient, className: string, version: number): Promise<DeployAnswer> {
  return api.post<DeployAnswer>(`/api/admin/strategies/${encodeURIComponent(className)}/rollback`, { version });
}

/** The validation reports of a refused upload (422 STRATEGY_INVALID carries `reports`). */
export function reportsOf(body: unknown): ValidationReport[] {
  if (body && typeof body === "object" && "reports" in body && Array.isArray(body.reports)) return body.reports as ValidationReport[];
  return [];
}
