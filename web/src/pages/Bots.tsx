/** The user's bots (B1) with their allocation (W1): start, stop, delete behind a confirmation. */
import { useState } from "react";
import { Link } from "react-router-dom";
import { deleteBot, listBots, returnedMoney, startBot, stopBot, walletSummary, type Bot, type WalletSummary } from "../api/bots";
import { messageOf } from "../api/client";
import { ConfirmDialog } from "../components/ConfirmDialog";
import { Money } from "../components/Money";
import { EmptyState, ErrorState, Loading, Notice } from "../components/States";
import { formatMoney } from "../lib/money";
import { useResource } from "../lib/useResource";

interface BotsData {
  bots: Bot[];
  /** Null when the wallet could not be read: the list still shows. */
  wallet: WalletSummary | null;
}

async function loadBots(): Promise<BotsData> {
  const [bots, wallet] = await Promise.all([listBots(), walletSummary().catch(() => null)]);
  return { bots, wallet };
}

type Action = "start" | "stop" | "delete";

export function StateBadge({ status }: { status: string }) {
  return <span className={`badge ${status}`}>{status}</span>;
}

export function BotsPage() {
  const { data, error, loading, reload } = useResource(loadBots, []);
  const [busy, setBusy] = useState<{ id: string; action: Action } | null>(null);
  const [result, setResult] = useState<{ kind: "success" | "error"; text: string } | null>(null);
  const [confirming, setConfirming] = useState<string | null>(null);

  async function run(id: string, action: Action) {
    setBusy({ id, action });
    setResult(null);
    try {
      if (action === "delete") {
        const answer = await deleteBot(id);
        const money = returnedMoney(answer);
        const warnings = answer.warnings?.length ? ` (${answer.warnings.join("; ")})` : "";
        setResult({ kind: "success", text: `Bot ${id} deleted: ${formatMoney(money.amount, money.currency)} returned to your wallet.${warnings}` });
        setConfirming(null);
      } else {
        const answer = await (action === "start" ? startBot(id) : stopBot(id));
        setResult({ kind: "success", text: answer.message || `Bot ${id} ${action === "start" ? "started" : "stopped"}.` });
      }
    } catch (reason) {
      setResult({ kind: "error", text: messageOf(reason) });
      if (action === "delete") setConfirming(null);
    } finally {
      setBusy(null);
      reload();
    }
  }

  const bots = data?.bots ?? [];

  return (
    <div className="stack bots-page">
      <div className="spread">
        <h1>Bots</h1>
        <Link to="/bots/new" className="button primary">
          New bot
        </Link>
      </div>
      {result && <Notice kind={result.kind}>{result.text}</Notice>}
      {loading && !data && <Loading label="Loading bots…" />}
      {error !== null && !loading && <ErrorState error={error} onRetry={reload} title="Your bots could not be loaded" />}
      {data && bots.length === 0 && (
        <EmptyState title="You have no bots yet">
          <Link to="/bots/new">Provision your first paper-trading bot</Link>
        </EmptyState>
      )}
      {bots.length > 0 && (
        <div className="table-wrap card">
          <table aria-label="Bots">
            <thead>
              <tr>
                <th scope="col">Bot</th>
                <th scope="col">State</th>
                <th scope="col">Strategy</th>
                <th scope="col">Stake</th>
                <th scope="col" className="num">
                  Allocated
                </th>
                <th scope="col" className="num">
                  Current value
                </th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {bots.map((item) => {
                const allocation = data?.wallet?.botAllocations[item.instanceId];
                const currency = data?.wallet?.currency ?? "USD";
                const rowBusy = busy?.id === item.instanceId;
                const running = item.containerStatus === "running";
                return (
                  <tr key={item.instanceId} data-testid={`bot-row-${item.instanceId}`}>
                    <td>
                      <Link to={`/bots/${encodeURIComponent(item.instanceId)}`}>{item.instanceId}</Link>
                    </td>
                    <td>
                      <StateBadge status={item.containerStatus} />
                    </td>
                    <td>{item.strategy}</td>
                    <td>{item.stake_currency}</td>
                    <td className="num">{allocation ? <Money value={allocation.allocatedAmount} currency={currency} /> : "—"}</td>
                    <td className="num">{allocation ? <Money value={allocation.currentValue} currency={currency} /> : "—"}</td>
                    <td>
                      <div className="row bot-actions">
                        <button
                          type="button"
                          className="button secondary"
                          aria-label={`Start ${item.instanceId}`}
                          disabled={rowBusy || running}
                          onClick={() => void run(item.instanceId, "start")}
                        >
                          {rowBusy && busy.action === "start" ? "Starting…" : "Start"}
                        </button>
                        <button
                          type="button"
                          className="button secondary"
                          aria-label={`Stop ${item.instanceId}`}
                          disabled={rowBusy || item.containerStatus === "stopped"}
                          onClick={() => void run(item.instanceId, "stop")}
                        >
                          {rowBusy && busy.action === "stop" ? "Stopping…" : "Stop"}
                        </button>
                        <button
                          type="button"
                          className="button danger"
                          aria-label={`Delete ${item.instanceId}`}
                          disabled={rowBusy}
                          onClick={() => setConfirming(item.instanceId)}
                        >
                          Delete
                        </button>
                      </div>
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
      {confirming && (
        <ConfirmDialog
          title={`Delete ${confirming}?`}
          confirmLabel="Delete bot"
          busyLabel="Deleting…"
          danger
          busy={busy?.id === confirming}
          onConfirm={() => void run(confirming, "delete")}
          onCancel={() => setConfirming(null)}
        >
          <p>
            The bot is stopped, its open trades are closed and its value is returned to your wallet
            {data?.wallet?.botAllocations[confirming] && (
              <>
                {" "}
                (now <Money value={data.wallet.botAllocations[confirming].currentValue} currency={data.wallet.currency} />)
              </>
            )}
            . This cannot be undone.
          </p>
        </ConfirmDialog>
      )}
    </div>
  );
}
