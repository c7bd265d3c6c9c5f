/** The operators' view of the pools (`GET /api/admin/pools`) and the users' O1–O3. */
import type { ApiClient } from "./client";

export interface AdminPoolBot {
  instanceId: string;
  ownerId: string | null;
  state: string;
  pid: number | null;
  port: number | null;
  rssBytes: number | null;
  pssBytes: number | null;
  cpuPercent: number | null;
  restarts: number;
  stalled: boolean;
  heartbeatAgeS: number | null;
  lastExit: string | null;
}

export interface AdminPool {
  id: string;
  url: string;
  status: string;
  lastSeen: string | null;
  capacity: number;
  botsCount: number;
  memory: { pssBytes: number | null; limitBytes: number | null } | null;
  /** Pool CPU (%); pools do not measure CPU per bot. */
  cpuPercent?: number | null;
  /** Why the pool did not answer just now (its stored status is shown). */
  error?: string | null;
  bots: AdminPoolBot[];
}

export interface ReconcilerAction {
  at: string;
  poolId: string | null;
  botId: string | null;
  action: string;
  detail: string;
}

/** The gateway replica running the reconciler and the other leader-only loops. */
export interface Leader {
  replica: string;
  since: string;
  term: number;
}

export interface AdminPools {
  pools: AdminPool[];
  /** `leader` null: no replica holds the lease (a take-over in progress); absent: older gateway. */
  reconciler: { actions: ReconcilerAction[]; leader?: Leader | null };
}

interface MyPools {
  pools: { id: string; status: string; botsCount: number; capacity: number; bots: string[]; metrics?: { memoryUsageMB: number; cpuPercent: number } }[];
}

export interface HealthCheck {
  issues: { type: string; id: string; status: string; message: string }[];
  pools: unknown[];
  bots: unknown[];
  recoveryActions: { action: string; poolId: string | null; botId: string | null; message: string }[];
}

export async function adminPools(api: ApiClient): Promise<AdminPools> {
  return api.get<AdminPools>("/api/admin/pools");
}

/** O1 in the admin shape (no per-bot figures): for a gateway without /api/admin/pools. */
export async function myPoolsAsAdmin(api: ApiClient): Promise<AdminPools> {
  const answer = await api.get<MyPools>("/api/freqtrade/pool/my-pools");
  return {
    pools: answer.pools.map((pool) => ({
      id: pool.id,
      url: "",
      status: pool.status,
      lastSeen: null,
      capacity: pool.capacity,
      botsCount: pool.botsCount,
      memory: pool.metrics ? { pssBytes: pool.metrics.memoryUsageMB * 1024 * 1024, limitBytes: null } : null,
      bots: pool.bots.map((instanceId) => ({
        instanceId,
        ownerId: null,
        state: "unknown",
        pid: null,
        port: null,
        rssBytes: null,
        pssBytes: null,
        cpuPercent: null,
        restarts: 0,
        stalled: false,
        heartbeatAgeS: null,
        lastExit: null,
      })),
    })),
    reconciler: { actions: [] },
  };
}

export function healthCheck(api: ApiClient): Promise<HealthCheck> {
  return api.post<HealthCheck>("/api/freqtrade/pool/my-health-check");
}

export function cleanup(api: ApiClient): Promise<{ removedBots: number; message?: string }> {
  return api.post("/api/freqtrade/pool/my-cleanup");
}
