/** Operators (admins): every pool with capacity, memory, each bot's figures and the reconciler. */
import { useEffect, useState } from "react";
import { ApiError, messageOf } from "../api/client";
import * as poolsApi from "../api/pools";
import type { AdminPool, AdminPools, Leader } from "../api/pools";
import { api } from "../auth/session";
import { EmptyState, ErrorState, Loading, Notice } from "../components/States";
import { formatBytes } from "../lib/bytes";
import { formatDateTime } from "../lib/money";
import { useResource } from "../lib/useResource";

const REFRESH_MS = 10_000;

interface Loaded {
  data: AdminPools;
  fallback: boolean;
}

async function load(): Promise<Loaded> {
  try {
    return { data: await poolsApi.adminPools(api), fallback: false };
  } catch (reason) {
    if (reason instanceof ApiError && reason.status === 404) return { data: await poolsApi.myPoolsAsAdmin(api), fallback: true };
    throw reason;
  }
}

function statusClass(status: string): string {
  if (["healthy", "running", "ok"].includes(status)) return "running";
  if (["unreachable", "failed", "unhealthy", "fatal"].includes(status)) return "error";
  return "warn";
}

function PoolSection({ pool }: { pool: AdminPool }) {
  const used = pool.capacity ? Math.round((pool.botsCount / pool.capacity) * 100) : 0;
  return (
    <section className="card stack" aria-labelledby={`pool-${pool.id}`}>
      <div className="spread">
        <h2 id={`pool-${pool.id}`}>Pool {pool.id}</h2>
        <span className={`badge ${statusClass(pool.status)}`}>{pool.status}</span>
      </div>
      <div className="grid">
        <div className="stat">
          <span className="label">Bots</span>
          <span className="value">
            {pool.botsCount} / {pool.capacity}
          </span>
          <meter min={0} max={pool.capacity || 1} value={pool.botsCount} aria-label={`Pool ${pool.id} capacity used: ${used}%`} />
        </div>
        <div className="stat">
          <span className="label">Memory (PSS / limit)</span>
          <span className="value">
            {formatBytes(pool.memory?.pssBytes)} / {formatBytes(pool.memory?.limitBytes)}
          </span>
        </div>
        <div className="stat">
          <span className="label">Last seen</span>
          <span className="value small">{formatDateTime(pool.lastSeen)}</span>
        </div>
      </div>
      {pool.error && <Notice kind="error">{`Pool did not answer: ${pool.error}`}</Notice>}
      {pool.bots.length === 0 ? (
        <EmptyState title="No bots in this pool" />
      ) : (
        <div className="table-wrap">
          <table aria-label={`Bots of pool ${pool.id}`}>
            <thead>
              <tr>
                <th>Bot</th>
                <th>Owner</th>
                <th>State</th>
                <th className="num">PID</th>
                <th className="num">Port</th>
                <th className="num">PSS</th>
                <th className="num">CPU</th>
                <th className="num">Restarts</th>
                <th className="num">Heartbeat</th>
                <th>Last exit</th>
              </tr>
            </thead>
            <tbody>
              {pool.bots.map((bot) => (
                <tr key={bot.instanceId}>
                  <td>{bot.instanceId}</td>
                  <td className="muted">{bot.ownerId ?? "—"}</td>
                  <td>
                    <span className={`badge ${bot.stalled ? "error" : statusClass(bot.state)}`}>{bot.stalled ? `${bot.state}, stalled` : bot.state}</span>
                  </td>
                  <td className="num">{bot.pid ?? "—"}</td>
                  <td className="num">{bot.port ?? "—"}</td>
                  <td className="num">{formatBytes(bot.pssBytes)}</td>
                  <td className="num">{bot.cpuPercent === null ? "—" : `${bot.cpuPercent.toFixed(1)}%`}</td>
                  <td className="num">{bot.restarts}</td>
                  <td className="num">{bot.heartbeatAgeS === null ? "—" : `${bot.heartbeatAgeS.toFixed(0)} s ago`}</td>
                  <td className="muted">{bot.lastExit ?? "—"}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

export function OperatorsPage() {
  const pools = useResource(load, []);
  const [result, setResult] = useState<{ kind: "success" | "error"; text: string } | null>(null);
  const [busy, setBusy] = useState(false);
  const { reload } = pools;

  useEffect(() => {
    const timer = window.setInterval(() => {
      if (document.visibilityState === "visible") reload();
    }, REFRESH_MS);
    return () => window.clearInterval(timer);
  }, [reload]);

  async function act(action: () => Promise<string>) {
    setBusy(true);
    setResult(null);
    try {
      setResult({ kind: "success", text: await action() });
      reload();
    } catch (reason) {
      setResult({ kind: "error", text: messageOf(reason) });
    } finally {
      setBusy(false);
    }
  }

  const healthCheck = () =>
    act(async () => {
      const answer = await poolsApi.healthCheck(api);
      return `Health check: ${answer.issues.length} issue(s), ${answer.recoveryActions.length} recovery action(s)`;
    });
  const cleanup = () => act(async () => `Cleaned up ${(await poolsApi.cleanup(api)).removedBots} orphaned bot(s)`);

  return (
    <div className="stack">
      <div className="spread">
        <h1>Operators</h1>
        <div className="row">
          <button type="button" className="button secondary" disabled={busy} onClick={() => void healthCheck()}>
            Run health check
          </button>
          <button type="button" className="button secondary" disabled={busy} onClick={() => void cleanup()}>
            Clean up
          </button>
        </div>
      </div>
      {result && <Notice kind={result.kind}>{result.text}</Notice>}
      {pools.error && !pools.data ? (
        <ErrorState error={pools.error} onRetry={reload} />
      ) : !pools.data ? (
        <Loading label="Asking the pools…" />
      ) : (
        <>
          {pools.data.fallback && <Notice kind="error">This gateway has no operators' pool view: showing the pools of your own bots.</Notice>}
          {pools.data.data.pools.length === 0 ? <EmptyState title="No pool is registered" /> : pools.data.data.pools.map((pool) => <PoolSection key={pool.id} pool={pool} />)}
          <section className="card stack" aria-labelledby="reconciler-title">
            <h2 id="reconciler-title">Reconciler actions</h2>
            <LeaderLine leader={pools.data.data.reconciler.leader} />
            {pools.data.data.reconciler.actions.length === 0 ? (
              <EmptyState title="No recent action" />
            ) : (
              <div className="table-wrap">
                <table aria-label="Reconciler actions">
                  <thead>
                    <tr>
                      <th>When</th>
                      <th>Pool</th>
                      <th>Bot</th>
                      <th>Action</th>
                      <th>Detail</th>
                    </tr>
                  </thead>
                  <tbody>
                    {pools.data.data.reconciler.actions.map((action, index) => (
                      <tr key={`${action.at}-${index}`}>
                        <td>{formatDateTime(action.at)}</td>
                        <td>{action.poolId ?? "—"}</td>
                        <td>{action.botId ?? "—"}</td>
                        <td>{action.action}</td>
                        <td className="wrap">{action.detail}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )}
          </section>
        </>
      )}
    </div>
  );
}

/** Which gateway replica runs the reconciler (only one does at a time; see docs/scale-out.md). */
function LeaderLine({ leader }: { leader: Leader | null | undefined }) {
  if (leader === undefined) return null;
  if (leader === null) return <Notice kind="error">No gateway replica leads right now: the reconciler resumes when one takes the lease.</Notice>;
  return (
    <p className="muted">
      Run by replica <strong>{leader.replica}</strong> since {formatDateTime(leader.since)} (term {leader.term}).
    </p>
  );
}
