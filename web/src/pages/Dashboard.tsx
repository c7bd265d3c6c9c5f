/**
 * The dashboard: portfolio value and P&L, the value chart (1h/24h/7d/30d), live updates from the
 * portfolio stream, open positions across bots and one card per bot (contract §3.5, §4.1).
 */
import { useCallback, useEffect, useRef, useState } from "react";
import { Link } from "react-router-dom";
import * as portfolioApi from "../api/portfolio";
import type { BotAggregate, BotInfo, ChartRange, ChartSeries, Position, PortfolioSummary } from "../api/portfolio";
import { RANGES } from "../api/portfolio";
import { api } from "../auth/session";
import { Chart } from "../components/Chart";
import { Money } from "../components/Money";
import { EmptyState, ErrorState, Loading } from "../components/States";
import { config } from "../config";
import { formatNumber, formatPercent, trend } from "../lib/money";
import { PortfolioStream, type StreamListener, type StreamState } from "../lib/stream";

/** Opens the live stream for `listener`; returns the function that closes it. */
export type OpenStream = (listener: StreamListener) => () => void;

export const openPortfolioStream: OpenStream = (listener) => {
  const stream = new PortfolioStream({ url: config.streamUrl, token: () => api.currentToken() });
  const unsubscribe = stream.subscribe(listener);
  stream.start();
  return () => {
    unsubscribe();
    stream.close();
  };
};

export const STREAM_TEXT: Record<StreamState, string> = {
  connecting: "Connecting…",
  live: "Live",
  reconnecting: "Reconnecting…",
  offline: "Offline",
};

/** A bot card's data: B1's description joined with the portfolio's numbers. */
export interface BotCardData {
  instanceId: string;
  state: string;
  strategy: string;
  currency: string;
  pnl: number | null;
  value: number | null;
  openTrades: number | null;
  restarts: number | null;
  error: string | null;
}

/** One card per bot, B1's order first, then bots only the portfolio knows. */
export function botCards(bots: readonly BotInfo[] | null, aggregates: readonly BotAggregate[]): BotCardData[] {
  const byId = new Map(aggregates.map((bot) => [bot.instanceId, bot]));
  const cards: BotCardData[] = [];
  const seen = new Set<string>();
  for (const info of bots ?? []) {
    seen.add(info.instanceId);
    cards.push(card(info, byId.get(info.instanceId)));
  }
  for (const aggregate of aggregates) {
    if (!seen.has(aggregate.instanceId)) cards.push(card(undefined, aggregate));
  }
  return cards;
}

function card(info: BotInfo | undefined, aggregate: BotAggregate | undefined): BotCardData {
  const instanceId = info?.instanceId ?? aggregate?.instanceId ?? "";
  let state = info?.containerStatus ?? (aggregate?.error ? "error" : "unknown");
  if (aggregate?.running) state = "running";
  return {
    instanceId,
    state,
    strategy: info?.strategy ?? "",
    currency: info?.stake_currency ?? "USD",
    pnl: aggregate && !aggregate.error ? aggregate.metrics.totalPnL : null,
    value: aggregate && !aggregate.error ? aggregate.metrics.totalBalance : null,
    openTrades: aggregate && !aggregate.error ? aggregate.metrics.openTrades : null,
    restarts: info?.restarts ?? aggregate?.restarts ?? null,
    error: aggregate?.error ?? null,
  };
}

/** Keep the newer of two portfolio snapshots (a slow P1 must not undo a stream event). */
function newer(previous: PortfolioSummary | null, next: PortfolioSummary): PortfolioSummary {
  return previous && previous.timestamp > next.timestamp ? previous : next;
}

type Loaded = [PromiseSettledResult<PortfolioSummary>, PromiseSettledResult<ChartSeries>, PromiseSettledResult<BotInfo[]>, PromiseSettledResult<Position[]>];

/** P1, P2, B1 and P4 at once; each may fail on its own. */
function loadDashboard(): Promise<Loaded> {
  return Promise.allSettled([portfolioApi.getPortfolio(api), portfolioApi.getCharts(api), portfolioApi.getBots(api), portfolioApi.getOpenPositions(api)]);
}

function BotCard({ bot }: { bot: BotCardData }) {
  return (
    <article className="card bot-card" data-testid={`bot-card-${bot.instanceId}`}>
      <div className="spread">
        <h3 className="bot-card-title">
          <Link to={`/bots/${encodeURIComponent(bot.instanceId)}`}>{bot.instanceId}</Link>
        </h3>
        <span className={`badge ${bot.state}`}>{bot.state}</span>
      </div>
      {bot.strategy && <p className="muted bot-card-strategy">{bot.strategy}</p>}
      <dl className="bot-card-stats">
        <div>
          <dt>P&amp;L</dt>
          <dd>
            <Money value={bot.pnl} currency={bot.currency} signed />
          </dd>
        </div>
        <div>
          <dt>Open trades</dt>
          <dd>{bot.openTrades ?? "—"}</dd>
        </div>
        <div>
          <dt>Restarts</dt>
          <dd>{bot.restarts ?? "—"}</dd>
        </div>
      </dl>
      {bot.error && <p className="muted">Not reachable: {bot.error}</p>}
    </article>
  );
}

function PositionsTable({ positions, currencyOf }: { positions: readonly Position[]; currencyOf: (botId: string) => string }) {
  if (positions.length === 0) return <EmptyState title="No open positions" />;
  return (
    <div className="table-wrap">
      <table aria-label="Open positions">
        <thead>
          <tr>
            <th scope="col">Bot</th>
            <th scope="col">Pair</th>
            <th scope="col">Side</th>
            <th scope="col" className="num">Amount</th>
            <th scope="col" className="num">Entry</th>
            <th scope="col" className="num">Current</th>
            <th scope="col" className="num">P&amp;L</th>
            <th scope="col" className="num">P&amp;L %</th>
          </tr>
        </thead>
        <tbody>
          {positions.map((row) => (
            <tr key={`${row.botId}-${row.pair}`} data-testid={`position-${row.botId}-${row.pair}`}>
              <td>{row.botId}</td>
              <td>{row.pair}</td>
              <td>
                <span className="badge">{row.side}</span> <span className="badge">DRY-RUN</span>
              </td>
              <td className="num">{formatNumber(row.amount, 4)}</td>
              <td className="num">{formatNumber(row.entryPrice, 2)}</td>
              <td className="num">{formatNumber(row.currentPrice, 2)}</td>
              <td className="num">
                <Money value={row.pnl} currency={currencyOf(row.botId)} signed />
              </td>
              <td className={`num ${trend(row.pnlPercent)}`}>{formatPercent(row.pnlPercent)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function DashboardPage({ openStream = openPortfolioStream }: { openStream?: OpenStream }) {
  const [summary, setSummary] = useState<PortfolioSummary | null>(null);
  const [summaryError, setSummaryError] = useState<unknown>(null);
  const [bots, setBots] = useState<BotInfo[] | null>(null);
  const [charts, setCharts] = useState<ChartSeries>({});
  const [chartError, setChartError] = useState<unknown>(null);
  const [chartLoading, setChartLoading] = useState(true);
  const [positions, setPositions] = useState<Position[] | null>(null);
  const [positionsError, setPositionsError] = useState<unknown>(null);
  const [range, setRange] = useState<ChartRange>("24h");
  const [streamState, setStreamState] = useState<StreamState>("connecting");
  const alive = useRef(true);

  const apply = useCallback((results: Loaded) => {
    if (!alive.current) return;
    const [p1, p2, b1, p4] = results;
    if (p1.status === "fulfilled") {
      setSummary((previous) => newer(previous, p1.value));
      setSummaryError(null);
    } else setSummaryError(p1.reason);
    if (p2.status === "fulfilled") {
      setCharts(p2.value);
      setChartError(null);
    } else setChartError(p2.reason);
    setChartLoading(false);
    if (b1.status === "fulfilled") setBots(b1.value);
    if (p4.status === "fulfilled") {
      setPositions(p4.value);
      setPositionsError(null);
    } else setPositionsError(p4.reason);
  }, []);
  const loadAll = useCallback(() => loadDashboard().then(apply), [apply]);

  const loadRange = useCallback(async (wanted: ChartRange) => {
    setChartLoading(true);
    try {
      const points = await portfolioApi.getChart(api, wanted);
      if (!alive.current) return;
      setCharts((previous) => ({ ...previous, [wanted]: points }));
      setChartError(null);
    } catch (error) {
      if (alive.current) setChartError(error);
    } finally {
      if (alive.current) setChartLoading(false);
    }
  }, []);

  useEffect(() => {
    alive.current = true;
    void loadAll();
    const stop = openStream({
      onState: setStreamState,
      onOpen: () => void loadAll(),
      onPortfolio: (next) => {
        setSummary((previous) => newer(previous, next));
        setSummaryError(null);
      },
      onPositions: (next) => {
        setPositions(next);
        setPositionsError(null);
      },
    });
    return () => {
      alive.current = false;
      stop();
    };
  }, [openStream, loadAll]);

  function selectRange(next: ChartRange) {
    setRange(next);
    if (charts[next] === undefined) void loadRange(next);
  }

  const cards = botCards(bots, summary?.bots ?? []);
  const currencyOf = (botId: string) => bots?.find((bot) => bot.instanceId === botId)?.stake_currency ?? "USD";
  const points = charts[range];

  return (
    <div className="stack dashboard">
      <div className="spread">
        <h1>Dashboard</h1>
        <span className={`badge stream-${streamState} ${streamState}`} data-testid="stream-state" role="status">
          {STREAM_TEXT[streamState]}
        </span>
      </div>

      {summary === null && summaryError === null && <Loading label="Loading your portfolio…" />}
      {summary === null && summaryError !== null && (
        <ErrorState error={summaryError} title="Could not load your portfolio" onRetry={() => void loadAll()} />
      )}
      {summary !== null && (
        <section className="grid" aria-label="Summary">
          <div className="card stat">
            <span className="label">Portfolio value</span>
            <span className="value" data-testid="portfolio-value">
              <Money value={summary.portfolioValue} />
            </span>
          </div>
          <div className="card stat">
            <span className="label">Total P&amp;L</span>
            <span className="value" data-testid="total-pnl">
              <Money value={summary.totalPnL} signed /> <span className={`pnl-percent ${trend(summary.profitLossPercentage)}`}>({formatPercent(summary.profitLossPercentage)})</span>
            </span>
          </div>
          <div className="card stat">
            <span className="label">Active bots</span>
            <span className="value" data-testid="active-bots">
              {summary.activeBots} of {summary.botCount}
            </span>
          </div>
        </section>
      )}

      <section className="card stack" aria-labelledby="chart-heading">
        <div className="spread">
          <h2 id="chart-heading">Portfolio value</h2>
          <div className="row range-buttons" role="group" aria-label="Chart range">
            {RANGES.map((option) => (
              <button key={option} type="button" className={`button ${option === range ? "primary" : "secondary"}`} aria-pressed={option === range} onClick={() => selectRange(option)}>
                {option}
              </button>
            ))}
          </div>
        </div>
        {points !== undefined ? (
          <Chart points={points} rangeLabel={range} />
        ) : chartLoading ? (
          <Loading label="Loading the chart…" />
        ) : chartError !== null ? (
          <ErrorState error={chartError} title="Could not load the chart" onRetry={() => void loadRange(range)} />
        ) : (
          <Chart points={[]} rangeLabel={range} />
        )}
      </section>

      <section className="stack" aria-labelledby="positions-heading">
        <h2 id="positions-heading">Open positions</h2>
        {positions !== null ? (
          <PositionsTable positions={positions} currencyOf={currencyOf} />
        ) : positionsError !== null ? (
          <ErrorState error={positionsError} title="Could not load the positions" onRetry={() => void loadAll()} />
        ) : (
          <Loading label="Loading positions…" />
        )}
      </section>

      <section className="stack" aria-labelledby="bots-heading">
        <h2 id="bots-heading">Your bots</h2>
        {cards.length > 0 ? (
          <div className="grid">
            {cards.map((bot) => (
              <BotCard key={bot.instanceId} bot={bot} />
            ))}
          </div>
        ) : bots === null && summary === null ? (
          <Loading label="Loading your bots…" />
        ) : (
          <EmptyState title="No bots yet">
            <Link to="/bots/new" className="button primary">
              New bot
            </Link>
          </EmptyState>
        )}
      </section>
    </div>
  );
}
