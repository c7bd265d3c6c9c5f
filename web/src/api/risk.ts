/** A bot's risk settings and feature object (contract §3.9 R2–R8). */
import { api } from "../auth/session";

export interface RiskSettings {
  enabled: boolean;
  riskLevel: number;
  autoRebalance: boolean;
  dcaEnabled: boolean;
  createdAt?: string | null;
  updatedAt?: string | null;
}

export type RiskSettingsUpdate = Pick<RiskSettings, "riskLevel" | "autoRebalance" | "dcaEnabled">;

export const DEFAULT_RISK: RiskSettingsUpdate = { riskLevel: 50, autoRebalance: true, dcaEnabled: true };

export interface TakeProfitLevel {
  percentage: number;
  exitPercent: number;
}

/** The parts of the feature object the bot page edits; every other key is kept as it came. */
export interface Features {
  takeProfitLevels: { enabled: boolean; mode: "ladder" | "single"; levels: TakeProfitLevel[] };
  trailingStop: { enabled: boolean; activationPercent: number; callbackRate: number; lockInProfit: boolean };
  dailyLossProtection: { enabled: boolean; maxDailyLossPercent: number; pauseUntil: "nextDay" | "manual"; closePositions: boolean };
  positionLimits: { enabled: boolean; maxPercentPerAsset: number; maxPositionsPerAsset: number; maxCorrelatedPositions: number };
  emergencyStop: {
    enabled: boolean;
    triggers: { btcDropPercent: number; portfolioDropPercent: number };
    actions: { closeAllPositions: boolean; pauseDurationHours: number };
  };
  [key: string]: unknown;
}

/** The client's own defaults (contract §3.9 R4 "UI default"). */
export function defaultFeatures(): Features {
  return {
    takeProfitLevels: {
      enabled: true,
      mode: "ladder",
      levels: [
        { percentage: 2, exitPercent: 25 },
        { percentage: 5, exitPercent: 50 },
        { percentage: 10, exitPercent: 100 },
      ],
    },
    trailingStop: { enabled: true, activationPercent: 3, callbackRate: 1.5, lockInProfit: true },
    dailyLossProtection: { enabled: true, maxDailyLossPercent: 5, pauseUntil: "nextDay", closePositions: false },
    tradingSchedule: {
      enabled: false,
      activeHours: { start: "00:00", end: "23:59" },
      activeDays: ["MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN"],
    },
    positionLimits: { enabled: true, maxPercentPerAsset: 30, maxPositionsPerAsset: 3, maxCorrelatedPositions: 2 },
    volatilityAdjustment: { enabled: true, method: "ATR", minSizeMultiplier: 0.5, maxSizeMultiplier: 1.5 },
    emergencyStop: {
      enabled: true,
      triggers: { btcDropPercent: 15, portfolioDropPercent: 20 },
      actions: { closeAllPositions: false, pauseDurationHours: 4 },
    },
    orderExecution: { enabled: true, useLimit: true, limitOffsetPercent: 0.1, postOnly: true },
  };
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** `over` deep-merged onto `base`: objects merge key by key, anything else (arrays too) replaces. */
export function deepMerge<T extends Record<string, unknown>>(base: T, over: unknown): T {
  if (!isPlainObject(over)) return base;
  const merged: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(over)) {
    const current = merged[key];
    merged[key] = isPlainObject(current) && isPlainObject(value) ? deepMerge(current, value) : value;
  }
  return merged as T;
}

function settingsOf(answer: { settings?: Partial<RiskSettings>; data?: { settings?: Partial<RiskSettings> } }): RiskSettingsUpdate {
  const settings = answer.settings ?? answer.data?.settings ?? {};
  return {
    riskLevel: typeof settings.riskLevel === "number" ? settings.riskLevel : DEFAULT_RISK.riskLevel,
    autoRebalance: typeof settings.autoRebalance === "boolean" ? settings.autoRebalance : DEFAULT_RISK.autoRebalance,
    dcaEnabled: typeof settings.dcaEnabled === "boolean" ? settings.dcaEnabled : DEFAULT_RISK.dcaEnabled,
  };
}

const settingsPath = (id: string) => `/api/freqtrade/universal-settings/${encodeURIComponent(id)}`;
const featuresPath = (id: string) => `/api/freqtrade/universal-features/${encodeURIComponent(id)}`;

export async function getRiskSettings(instanceId: string): Promise<RiskSettingsUpdate> {
  return settingsOf(await api.get(settingsPath(instanceId)));
}

export function saveRiskSettings(instanceId: string, settings: RiskSettingsUpdate): Promise<{ success: boolean; message: string; settings: RiskSettings }> {
  return api.put(settingsPath(instanceId), settings);
}

/** R4 merged over the client's defaults (partial answers are fine, unknown keys are kept). */
export async function getFeatures(instanceId: string): Promise<Features> {
  const answer = await api.get<{ success?: boolean; data?: unknown }>(featuresPath(instanceId));
  if (!answer.success || !isPlainObject(answer.data)) throw new Error("Invalid features response format");
  return deepMerge(defaultFeatures(), answer.data);
}

export function saveFeatures(instanceId: string, features: Features): Promise<{ success: boolean; message: string; data: unknown }> {
  return api.put(featuresPath(instanceId), features);
}

export function resetFeatures(instanceId: string): Promise<{ success: boolean; message: string; data: unknown }> {
  return api.post(`${featuresPath(instanceId)}/reset`);
}

export function resumeTrading(instanceId: string): Promise<{ success: boolean; message: string }> {
  return api.post(`${featuresPath(instanceId)}/resume`);
}

export interface MonitorStatus {
  running: boolean;
  botCount: number;
}

export async function monitorStatus(): Promise<MonitorStatus> {
  const answer = await api.get<{ success?: boolean; data?: MonitorStatus }>("/api/freqtrade/trade-monitor/status");
  if (!answer.success || !answer.data) throw new Error("Invalid monitor response format");
  return answer.data;
}
