/** The paper wallet: balance, deposit and withdraw, money in bots, the transaction history. */
import { useState, type SyntheticEvent } from "react";
import { Link } from "react-router-dom";
import { ApiError, messageOf } from "../api/client";
import * as walletApi from "../api/wallet";
import type { TransactionPage, Wallet } from "../api/wallet";
import { api } from "../auth/session";
import { Field } from "../components/Field";
import { Money } from "../components/Money";
import { EmptyState, ErrorState, Loading, Notice } from "../components/States";
import { formatDateTime, formatMoney, parseAmount } from "../lib/money";
import { useResource } from "../lib/useResource";

export const PAGE_SIZE = 20;

type Result = { kind: "success" | "error"; text: string } | null;

function AmountForm({ name, onSubmit }: { name: "Deposit" | "Withdraw"; onSubmit: (amount: number) => Promise<string> }) {
  const [text, setText] = useState("");
  const [problem, setProblem] = useState<string | null>(null);
  const [result, setResult] = useState<Result>(null);
  const [busy, setBusy] = useState(false);

  async function submit(event: SyntheticEvent<HTMLFormElement>) {
    event.preventDefault();
    const amount = parseAmount(text);
    setResult(null);
    if (amount === null) {
      setProblem("Enter an amount above 0 with at most two decimals");
      return;
    }
    setProblem(null);
    setBusy(true);
    try {
      setResult({ kind: "success", text: await onSubmit(amount) });
      setText("");
    } catch (reason) {
      setResult({ kind: "error", text: messageOf(reason) });
    } finally {
      setBusy(false);
    }
  }

  return (
    <form aria-label={name} className="card" onSubmit={(event) => void submit(event)} noValidate>
      <h2>{name}</h2>
      <Field label={`${name} amount`} inputMode="decimal" value={text} error={problem} onChange={(event) => setText(event.target.value)} />
      <button type="submit" className="button primary" disabled={busy}>
        {busy ? "Working…" : name}
      </button>
      {result && <Notice kind={result.kind}>{result.text}</Notice>}
    </form>
  );
}

function Allocations({ wallet, onChanged }: { wallet: Wallet; onChanged: () => void }) {
  const [result, setResult] = useState<Result>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const [amounts, setAmounts] = useState<Record<string, string>>({});
  const entries = Object.entries(wallet.botAllocations);

  async function act(botId: string, action: () => Promise<string>) {
    setBusy(botId);
    setResult(null);
    try {
      setResult({ kind: "success", text: await action() });
      onChanged();
    } catch (reason) {
      setResult({ kind: "error", text: messageOf(reason) });
    } finally {
      setBusy(null);
    }
  }

  function addFunds(botId: string) {
    const amount = parseAmount(amounts[botId] ?? "");
    if (amount === null) {
      setResult({ kind: "error", text: "Enter an amount above 0 to add" });
      return;
    }
    if (amount > wallet.balance) {
      setResult({ kind: "error", text: `At most ${formatMoney(wallet.balance, wallet.currency)} is free in the wallet` });
      return;
    }
    void act(botId, async () => (await walletApi.addToBot(api, botId, amount)).message ?? "Funds added");
  }

  function returnAll(botId: string) {
    void act(botId, async () => {
      const answer = await walletApi.returnFromBot(api, botId);
      return `${formatMoney(answer.data.returnedAmount, wallet.currency)} returned to your wallet (P&L ${formatMoney(answer.data.pnl, wallet.currency)})`;
    });
  }

  if (!entries.length) {
    return (
      <EmptyState title="No money in bots">
        <Link to="/bots/new">Provision a bot</Link> to put part of your wallet to work.
      </EmptyState>
    );
  }
  return (
    <div className="stack">
      {result && <Notice kind={result.kind}>{result.text}</Notice>}
      <div className="table-wrap">
        <table aria-label="Allocations">
          <thead>
            <tr>
              <th>Bot</th>
              <th className="num">Allocated</th>
              <th className="num">Current value</th>
              <th className="num">In trades</th>
              <th className="num">Lifetime P&amp;L</th>
              <th>Move money</th>
            </tr>
          </thead>
          <tbody>
            {entries.map(([botId, allocation]) => (
              <tr key={botId}>
                <td>
                  <Link to={`/bots/${encodeURIComponent(botId)}`}>{botId}</Link>
                  <div className="muted">{allocation.botName}</div>
                </td>
                <td className="num">
                  <Money value={allocation.allocatedAmount} currency={wallet.currency} />
                </td>
                <td className="num">
                  <Money value={allocation.currentValue} currency={wallet.currency} />
                </td>
                <td className="num">
                  <Money value={allocation.reservedInTrades} currency={wallet.currency} />
                </td>
                <td className="num">
                  <Money value={allocation.lifetimePnL} currency={wallet.currency} signed />
                </td>
                <td>
                  <div className="row">
                    <label className="sr-only" htmlFor={`add-${botId}`}>
                      Amount to add to {botId}
                    </label>
                    <input
                      id={`add-${botId}`}
                      className="small-input"
                      inputMode="decimal"
                      placeholder="0.00"
                      value={amounts[botId] ?? ""}
                      onChange={(event) => setAmounts({ ...amounts, [botId]: event.target.value })}
                    />
                    <button type="button" className="button secondary" disabled={busy === botId} aria-label={`Add funds to ${botId}`} onClick={() => addFunds(botId)}>
                      Add funds
                    </button>
                    <button type="button" className="button secondary" disabled={busy === botId} aria-label={`Return everything from ${botId}`} onClick={() => returnAll(botId)}>
                      Return all
                    </button>
                  </div>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </div>
  );
}

/** The history, paged by the gateway (or the 20 newest rows of W1 on an older gateway). */
function Transactions({ wallet, version }: { wallet: Wallet; version: number }) {
  const [offset, setOffset] = useState(0);
  const page = useResource<TransactionPage>(async () => {
    try {
      return await walletApi.transactions(api, PAGE_SIZE, offset);
    } catch (reason) {
      if (reason instanceof ApiError && reason.status === 404) {
        const rows = wallet.recentTransactions;
        return { transactions: rows.slice(offset, offset + PAGE_SIZE), total: rows.length, limit: PAGE_SIZE, offset };
      }
      throw reason;
    }
  }, [offset, version]);

  if (page.error) return <ErrorState error={page.error} onRetry={page.reload} />;
  if (!page.data) return <Loading label="Loading transactions…" />;
  const { transactions, total } = page.data;
  const pages = Math.max(1, Math.ceil(total / PAGE_SIZE));
  const current = Math.floor(offset / PAGE_SIZE) + 1;
  return (
    <div className="stack">
      {transactions.length === 0 ? (
        <EmptyState title="No transactions yet" />
      ) : (
        <div className="table-wrap">
          <table aria-label="Transactions">
            <thead>
              <tr>
                <th>Date</th>
                <th>Type</th>
                <th>Description</th>
                <th className="num">Amount</th>
                <th className="num">Balance after</th>
              </tr>
            </thead>
            <tbody>
              {transactions.map((transaction, index) => (
                <tr key={transaction.id ?? `${transaction.timestamp}-${index}`}>
                  <td>{formatDateTime(transaction.timestamp)}</td>
                  <td>
                    <span className="badge">{transaction.type}</span>
                  </td>
                  <td>{transaction.botId ? `${transaction.description} (${transaction.botId})` : transaction.description}</td>
                  <td className="num">
                    <Money value={walletApi.signedAmount(transaction)} currency={wallet.currency} signed />
                  </td>
                  <td className="num">
                    <Money value={transaction.balanceAfter} currency={wallet.currency} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <div className="row" role="group" aria-label="Transaction pages">
        <button type="button" className="button secondary" disabled={offset === 0 || page.loading} onClick={() => setOffset(Math.max(0, offset - PAGE_SIZE))}>
          Newer
        </button>
        <span aria-live="polite">
          Page {current} of {pages}
        </span>
        <button type="button" className="button secondary" disabled={offset + PAGE_SIZE >= total || page.loading} onClick={() => setOffset(offset + PAGE_SIZE)}>
          Older
        </button>
      </div>
    </div>
  );
}

export function WalletPage() {
  const [version, setVersion] = useState(0);
  const wallet = useResource(() => walletApi.loadWallet(api), [version]);
  const refresh = () => setVersion((value) => value + 1);

  if (wallet.error && !wallet.data) return <ErrorState error={wallet.error} onRetry={wallet.reload} />;
  if (!wallet.data) return <Loading label="Loading your wallet…" />;
  const data = wallet.data;

  async function move(action: typeof walletApi.deposit, amount: number): Promise<string> {
    const answer = await action(api, amount);
    refresh();
    return answer.message ?? "Done";
  }

  return (
    <div className="stack">
      <h1>Wallet</h1>
      <section className="grid" aria-label="Balances">
        <div className="card stat">
          <span className="label">Free balance</span>
          <span className="value" data-testid="wallet-balance">
            {formatMoney(data.balance, data.currency)}
          </span>
        </div>
        <div className="card stat">
          <span className="label">In bots</span>
          <span className="value">{formatMoney(data.totalAllocated, data.currency)}</span>
        </div>
        <div className="card stat">
          <span className="label">Total portfolio value</span>
          <span className="value">{formatMoney(data.totalPortfolioValue, data.currency)}</span>
        </div>
        <div className="card stat">
          <span className="label">Unrealized P&amp;L</span>
          <span className="value">
            <Money value={data.unrealizedPnL} currency={data.currency} signed />
          </span>
        </div>
      </section>
      <div className="grid">
        <AmountForm name="Deposit" onSubmit={(amount) => move(walletApi.deposit, amount)} />
        <AmountForm name="Withdraw" onSubmit={(amount) => move(walletApi.withdraw, amount)} />
      </div>
      <section className="card stack" aria-labelledby="allocations-title">
        <h2 id="allocations-title">Money in bots</h2>
        <Allocations wallet={data} onChanged={refresh} />
      </section>
      <section className="card stack" aria-labelledby="transactions-title">
        <h2 id="transactions-title">Transactions</h2>
        <Transactions wallet={data} version={version} />
      </section>
    </div>
  );
}
