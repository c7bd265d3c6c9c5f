/** One bot: state with start/stop, FreqTrade profit, synced trades, its log, risk settings and features. */
import { useState, type SyntheticEvent } from "react";
import { Link, useParams } from "react-router-dom";
import { LOG_LEVELS, botLogs, botProfit, botTrades, findBot, startBot, stopBot, type Bot, type LogLevel } from "../api/bots";
import { messageOf } from "../api/client";
import {
  defaultFeatures,
  getFeatures,
  getRiskSettings,
  monitorStatus,
  resetFeatures,
  resumeTrading,
  saveFeatures,
  saveRiskSettings,
  deepMerge,
  type Features,
  type RiskSettingsUpdate,
} from "../api/risk";
import { Field } from "../components/Field";
import { Money } from "../components/Money";
import { SelectField } from "../components/SelectField";
import { EmptyState, ErrorState, Loading, Notice } from "../components/States";
import { formatDateTime, formatPercent } from "../lib/money";
import { useResource } from "../lib/useResource";
import { StateBadge } from "./Bots";

type Result = { kind: "success" | "error"; text: string } | null;

export function BotDetailPage() {
  const { botId = "" } = useParams();
  const { data: bot, error, loading, reload } = useResource(() => findBot(botId), [botId]);
  const [busy, setBusy] = useState<"start" | "stop" | null>(null);
  const [result, setResult] = useState<Result>(null);

  if (loading && bot === null) return <Loading label="Loading the bot…" />;
  if (error !== null && bot === null) return <ErrorState error={error} onRetry={reload} title="The bot could not be loaded" />;
  if (bot === null) {
    return (
      <EmptyState title={`Bot ${botId} not found`}>
        <p>You have no bot of that name: it may have been deleted.</p>
        <Link to="/bots">Back to your bots</Link>
      </EmptyState>
    );
  }

  async function act(action: "start" | "stop", id: string) {
    setBusy(action);
    setResult(null);
    try {
      const answer = await (action === "start" ? startBot(id) : stopBot(id));
      setResult({ kind: "success", text: answer.message || `Bot ${id} ${action === "start" ? "started" : "stopped"}.` });
    } catch (reason) {
      setResult({ kind: "error", text: messageOf(reason) });
    } finally {
      setBusy(null);
      reload();
    }
  }

  const running = bot.containerStatus === "running";
  return (
    <div className="stack bot-detail">
      <div className="spread">
        <h1>{bot.instanceId}</h1>
        <Link to="/bots">All bots</Link>
      </div>
      <section className="card stack" aria-label="State">
        <div className="row">
          <StateBadge status={bot.containerStatus} />
          <span>
            {bot.strategy} · {bot.stake_currency} · {bot.timeframe} · {bot.dry_run ? "Paper" : "Live"}
          </span>
        </div>
        <p className="muted bot-pairs">Pairs: {bot.tradingPairs.join(", ") || "—"}</p>
        <div className="row">
          <button type="button" className="button secondary" aria-label={`Start ${bot.instanceId}`} disabled={busy !== null || running} onClick={() => void act("start", bot.instanceId)}>
            {busy === "start" ? "Starting…" : "Start"}
          </button>
          <button
            type="button"
            className="button secondary"
            aria-label={`Stop ${bot.instanceId}`}
            disabled={busy !== null || bot.containerStatus === "stopped"}
            onClick={() => void act("stop", bot.instanceId)}
          >
            {busy === "stop" ? "Stopping…" : "Stop"}
          </button>
        </div>
        {result && <Notice kind={result.kind}>{result.text}</Notice>}
      </section>
      <ProfitSection bot={bot} />
      <TradesSection bot={bot} />
      <LogsSection instanceId={bot.instanceId} />
      <RiskSection instanceId={bot.instanceId} />
    </div>
  );
}

function ProfitSection({ bot }: { bot: Bot }) {
  const { data, error, loading, reload } = useResource(() => botProfit(bot.instanceId), [bot.instanceId, bot.containerStatus]);
  const decided = (data?.winning_trades ?? 0) + (data?.losing_trades ?? 0);
  return (
    <section className="card stack" aria-labelledby="profit-title">
      <div className="spread">
        <h2 id="profit-title">Profit</h2>
        <button type="button" className="button secondary" onClick={reload} disabled={loading}>
          Refresh profit
        </button>
      </div>
      {loading && !data && <Loading label="Asking the bot…" />}
      {error !== null && !loading && (
        <ErrorState error={error} onRetry={reload} title={bot.containerStatus === "running" ? "The profit could not be read" : "The bot is not running: its profit is read from the bot itself"} />
      )}
      {data && (
        <div className="grid profit-grid">
          <div className="stat">
            <span className="label">Total profit</span>
            <span className="value">
              <Money value={data.profit_all_coin} currency={bot.stake_currency} signed />
            </span>
          </div>
          <div className="stat">
            <span className="label">Closed trades profit</span>
            <span className="value">
              <Money value={data.profit_closed_coin} currency={bot.stake_currency} signed />
            </span>
          </div>
          <div className="stat">
            <span className="label">Trades</span>
            <span className="value">{data.trade_count}</span>
          </div>
          <div className="stat">
            <span className="label">Won / lost</span>
            <span className="value">
              <span className="gain">{data.winning_trades}</span> / <span className="loss">{data.losing_trades}</span>
              {decided > 0 && <span className="muted win-rate"> ({formatPercent((data.winning_trades / decided) * 100, false)} won)</span>}
            </span>
          </div>
        </div>
      )}
    </section>
  );
}

function TradesSection({ bot }: { bot: Bot }) {
  const { data, error, loading, reload } = useResource(() => botTrades(bot.instanceId), [bot.instanceId]);
  return (
    <section className="card stack" aria-labelledby="trades-title">
      <div className="spread">
        <h2 id="trades-title">Trades</h2>
        <button type="button" className="button secondary" onClick={reload} disabled={loading}>
          Refresh trades
        </button>
      </div>
      {loading && !data && <Loading label="Loading trades…" />}
      {error !== null && !loading && <ErrorState error={error} onRetry={reload} title="The trades could not be loaded" />}
      {data && data.length === 0 && <EmptyState title="No trades yet">The bot has not opened a trade (trades appear here once synced).</EmptyState>}
      {data && data.length > 0 && (
        <div className="table-wrap">
          <table aria-label="Trades">
            <thead>
              <tr>
                <th scope="col">Pair</th>
                <th scope="col">Status</th>
                <th scope="col">Opened</th>
                <th scope="col">Closed</th>
                <th scope="col" className="num">
                  Stake
                </th>
                <th scope="col" className="num">
                  P&amp;L
                </th>
                <th scope="col" className="num">
                  P&amp;L %
                </th>
              </tr>
            </thead>
            <tbody>
              {data.map((trade) => {
                const currency = trade.stakeCurrency ?? bot.stake_currency;
                const profit = trade.profitAbs ?? trade.realizedProfit;
                return (
                  <tr key={trade.tradeId}>
                    <td>
                      {trade.pair}
                      {trade.isShort && <span className="muted"> (short)</span>}
                    </td>
                    <td>
                      <span className={`badge ${trade.status}`}>{trade.status}</span>
                    </td>
                    <td>{formatDateTime(trade.openDate)}</td>
                    <td>{formatDateTime(trade.closeDate)}</td>
                    <td className="num">
                      <Money value={trade.stakeAmount} currency={currency} />
                    </td>
                    <td className="num">
                      <Money value={profit} currency={currency} signed />
                    </td>
                    <td className={`num ${trade.profitRatio === null ? "" : trade.profitRatio >= 0 ? "gain" : "loss"}`}>
                      {trade.profitRatio === null ? "—" : formatPercent(trade.profitRatio * 100)}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

function LogsSection({ instanceId }: { instanceId: string }) {
  const [level, setLevel] = useState<LogLevel>("INFO");
  const [lines, setLines] = useState("200");
  const [applied, setApplied] = useState<{ level: LogLevel; lines: number }>({ level: "INFO", lines: 200 });
  const [linesError, setLinesError] = useState<string | null>(null);
  const { data, error, loading, reload } = useResource(() => botLogs(instanceId, applied.lines, applied.level), [instanceId, applied.level, applied.lines]);

  function onSubmit(event: SyntheticEvent<HTMLFormElement>) {
    event.preventDefault();
    const count = Number(lines);
    if (!Number.isInteger(count) || count < 1 || count > 5000) {
      setLinesError("Enter a whole number from 1 to 5000");
      return;
    }
    setLinesError(null);
    if (count === applied.lines && level === applied.level) reload();
    else setApplied({ level, lines: count });
  }

  return (
    <section className="card stack" aria-labelledby="logs-title">
      <h2 id="logs-title">Logs</h2>
      <form className="row logs-controls" onSubmit={onSubmit} noValidate aria-label="Log filter">
        <SelectField label="Log level" value={level} onChange={(e) => setLevel(e.target.value as LogLevel)}>
          {LOG_LEVELS.map((item) => (
            <option key={item} value={item}>
              {item}
            </option>
          ))}
        </SelectField>
        <Field label="Lines" inputMode="numeric" value={lines} onChange={(e) => setLines(e.target.value)} error={linesError} />
        <button type="submit" className="button secondary" disabled={loading}>
          {loading ? "Loading…" : "Refresh logs"}
        </button>
      </form>
      {loading && !data && <Loading label="Loading the log…" />}
      {error !== null && !loading && <ErrorState error={error} onRetry={reload} title="The log could not be read" />}
      {data && data.logs.length === 0 && <EmptyState title="No log records">Nothing at {data.level} or above yet.</EmptyState>}
      {data && data.logs.length > 0 && (
        <ol className="logs" aria-label="Log records">
          {data.logs.map((line, index) => (
            <li key={`${index}-${line.ts ?? ""}`} className={`log-line log-${line.level.toLowerCase()}`}>
              <span className="log-ts">{line.ts ?? ""}</span> <span className="log-level">{line.level}</span> {line.logger && <span className="log-logger">{line.logger}</span>}{" "}
              <span className="log-message">{line.message}</span>
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}

function RiskSection({ instanceId }: { instanceId: string }) {
  const settings = useResource(() => getRiskSettings(instanceId), [instanceId]);
  const features = useResource(() => getFeatures(instanceId), [instanceId]);
  const monitor = useResource(monitorStatus, []);
  return (
    <section className="card stack" aria-labelledby="risk-title">
      <div className="spread">
        <h2 id="risk-title">Risk settings</h2>
        {monitor.data && (
          <span className={`badge ${monitor.data.running ? "running" : "stopped"}`} data-testid="monitor-state">
            Monitor: {monitor.data.running ? "Active" : "Inactive"} ({monitor.data.botCount} {monitor.data.botCount === 1 ? "bot" : "bots"})
          </span>
        )}
      </div>
      {settings.loading && !settings.data && <Loading label="Loading risk settings…" />}
      {settings.error !== null && !settings.loading && <ErrorState error={settings.error} onRetry={settings.reload} title="The risk settings could not be loaded" />}
      {settings.data && <RiskForm key={JSON.stringify(settings.data)} instanceId={instanceId} initial={settings.data} />}
      <h3>Trading features</h3>
      {features.loading && !features.data && <Loading label="Loading features…" />}
      {features.error !== null && !features.loading && <ErrorState error={features.error} onRetry={features.reload} title="The features could not be loaded" />}
      {features.data && <FeaturesForm key={JSON.stringify(features.data)} instanceId={instanceId} initial={features.data} />}
    </section>
  );
}

export function RiskForm({ instanceId, initial }: { instanceId: string; initial: RiskSettingsUpdate }) {
  const [riskLevel, setRiskLevel] = useState(String(initial.riskLevel));
  const [autoRebalance, setAutoRebalance] = useState(initial.autoRebalance);
  const [dcaEnabled, setDcaEnabled] = useState(initial.dcaEnabled);
  const [fieldError, setFieldError] = useState<string | null>(null);
  const [result, setResult] = useState<Result>(null);
  const [busy, setBusy] = useState(false);

  async function onSubmit(event: SyntheticEvent<HTMLFormElement>) {
    event.preventDefault();
    setResult(null);
    const level = Number(riskLevel.trim());
    if (!riskLevel.trim() || !Number.isFinite(level)) {
      setFieldError("Enter a number from 0 to 100");
      return;
    }
    setFieldError(null);
    setBusy(true);
    try {
      await saveRiskSettings(instanceId, { riskLevel: level, autoRebalance, dcaEnabled });
      setResult({ kind: "success", text: "Risk settings saved" });
    } catch (reason) {
      setResult({ kind: "error", text: messageOf(reason) });
    } finally {
      setBusy(false);
    }
  }

  return (
    <form className="risk-form" onSubmit={(event) => void onSubmit(event)} noValidate aria-label="Risk settings">
      <Field label="Risk level" type="number" min={0} max={100} step={1} value={riskLevel} onChange={(e) => setRiskLevel(e.target.value)} error={fieldError} hint="0 (careful) to 100 (aggressive)" />
      <label className="checkbox">
        <input type="checkbox" checked={autoRebalance} onChange={(e) => setAutoRebalance(e.target.checked)} />
        Auto rebalance
      </label>
      <label className="checkbox">
        <input type="checkbox" checked={dcaEnabled} onChange={(e) => setDcaEnabled(e.target.checked)} />
        DCA
      </label>
      {result && <Notice kind={result.kind}>{result.text}</Notice>}
      <button type="submit" className="button primary" disabled={busy}>
        {busy ? "Saving…" : "Save risk settings"}
      </button>
    </form>
  );
}

type Path = readonly (string | number)[];

function getIn(value: unknown, path: Path): unknown {
  let current = value;
  for (const key of path) {
    if (typeof current !== "object" || current === null) return undefined;
    current = (current as Record<string | number, unknown>)[key];
  }
  return current;
}

/** A copy of `value` with `path` set (arrays stay arrays); every other key is kept. */
export function setIn<T>(value: T, path: Path, next: unknown): T {
  const [key, ...rest] = path;
  if (key === undefined) return next as T;
  const child = getIn(value, [key]);
  const updated = rest.length === 0 ? next : setIn(child ?? (typeof rest[0] === "number" ? [] : {}), rest, next);
  if (Array.isArray(value)) {
    const copy: unknown[] = [...(value as unknown[])];
    copy[Number(key)] = updated;
    return copy as T;
  }
  return { ...(value as Record<string, unknown>), [key]: updated } as T;
}

interface NumberSpec {
  label: string;
  path: Path;
  min?: number;
  max?: number;
  step?: number;
  integer?: boolean;
}

interface CheckSpec {
  label: string;
  path: Path;
}

const GROUPS: { title: string; checks: CheckSpec[]; numbers: NumberSpec[] }[] = [
  {
    title: "Trailing stop",
    checks: [
      { label: "Trailing stop", path: ["trailingStop", "enabled"] },
      { label: "Lock in profit", path: ["trailingStop", "lockInProfit"] },
    ],
    numbers: [
      { label: "Activation (%)", path: ["trailingStop", "activationPercent"], min: 0, step: 0.1 },
      { label: "Callback rate (%)", path: ["trailingStop", "callbackRate"], min: 0, step: 0.1 },
    ],
  },
  {
    title: "Daily loss protection",
    checks: [
      { label: "Daily loss protection", path: ["dailyLossProtection", "enabled"] },
      { label: "Close positions on daily loss", path: ["dailyLossProtection", "closePositions"] },
    ],
    numbers: [{ label: "Max daily loss (%)", path: ["dailyLossProtection", "maxDailyLossPercent"], min: 0, max: 100, step: 0.1 }],
  },
  {
    title: "Position limits",
    checks: [{ label: "Position limits", path: ["positionLimits", "enabled"] }],
    numbers: [
      { label: "Max per asset (%)", path: ["positionLimits", "maxPercentPerAsset"], min: 0, max: 100, step: 1 },
      { label: "Max positions per asset", path: ["positionLimits", "maxPositionsPerAsset"], min: 0, step: 1, integer: true },
      { label: "Max correlated positions", path: ["positionLimits", "maxCorrelatedPositions"], min: 0, step: 1, integer: true },
    ],
  },
  {
    title: "Emergency stop",
    checks: [
      { label: "Emergency stop", path: ["emergencyStop", "enabled"] },
      { label: "Close all positions on emergency", path: ["emergencyStop", "actions", "closeAllPositions"] },
    ],
    numbers: [
      { label: "BTC drop trigger (%)", path: ["emergencyStop", "triggers", "btcDropPercent"], min: 0, max: 100, step: 0.1 },
      { label: "Portfolio drop trigger (%)", path: ["emergencyStop", "triggers", "portfolioDropPercent"], min: 0, max: 100, step: 0.1 },
      { label: "Pause after emergency (hours)", path: ["emergencyStop", "actions", "pauseDurationHours"], min: 0, step: 1 },
    ],
  },
];

const pathKey = (path: Path) => path.join(".");

export function FeaturesForm({ instanceId, initial }: { instanceId: string; initial: Features }) {
  const [features, setFeatures] = useState<Features>(initial);
  // Number inputs as typed, by path: parsed on save so a half-typed value is never sent.
  const [drafts, setDrafts] = useState<Record<string, string>>({});
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [result, setResult] = useState<Result>(null);
  const [busy, setBusy] = useState<"save" | "reset" | "resume" | null>(null);

  const levels = features.takeProfitLevels.levels;

  function text(path: Path): string {
    const draft = drafts[pathKey(path)];
    if (draft !== undefined) return draft;
    const value = getIn(features, path);
    return typeof value === "number" ? String(value) : "";
  }

  function numberField(spec: NumberSpec) {
    const key = pathKey(spec.path);
    return (
      <Field
        key={key}
        label={spec.label}
        type="number"
        min={spec.min}
        max={spec.max}
        step={spec.step}
        value={text(spec.path)}
        onChange={(e) => setDrafts((previous) => ({ ...previous, [key]: e.target.value }))}
        error={errors[key]}
      />
    );
  }

  function checkField(spec: CheckSpec) {
    return (
      <label key={pathKey(spec.path)} className="checkbox">
        <input type="checkbox" checked={getIn(features, spec.path) === true} onChange={(e) => setFeatures((previous) => setIn(previous, spec.path, e.target.checked))} />
        {spec.label}
      </label>
    );
  }

  /** The features with every draft applied, or null (and the errors shown) when one is not a number. */
  function applied(): Features | null {
    const specs: NumberSpec[] = [
      ...GROUPS.flatMap((group) => group.numbers),
      ...levels.flatMap((_, index) => [
        { label: "", path: ["takeProfitLevels", "levels", index, "percentage"], min: 0 },
        { label: "", path: ["takeProfitLevels", "levels", index, "exitPercent"], min: 0, max: 100 },
      ]),
    ];
    let next = features;
    const found: Record<string, string> = {};
    for (const spec of specs) {
      const key = pathKey(spec.path);
      const draft = drafts[key];
      if (draft === undefined) continue;
      const value = Number(draft.trim());
      if (!draft.trim() || !Number.isFinite(value)) found[key] = "Enter a number";
      else if (spec.integer && !Number.isInteger(value)) found[key] = "Enter a whole number";
      else if ((spec.min !== undefined && value < spec.min) || (spec.max !== undefined && value > spec.max)) found[key] = `Enter a number from ${spec.min ?? "…"} to ${spec.max ?? "…"}`;
      else next = setIn(next, spec.path, value);
    }
    setErrors(found);
    return Object.keys(found).length > 0 ? null : next;
  }

  async function run(action: "save" | "reset" | "resume") {
    setResult(null);
    let body: Features | null = null;
    if (action === "save") {
      body = applied();
      if (!body) {
        setResult({ kind: "error", text: "Some values are not valid: see the marked fields" });
        return;
      }
    }
    setBusy(action);
    try {
      if (action === "save" && body) {
        const answer = await saveFeatures(instanceId, body);
        setFeatures(deepMerge(body, answer.data));
        setDrafts({});
        setResult({ kind: "success", text: "Features saved" });
      } else if (action === "reset") {
        const answer = await resetFeatures(instanceId);
        setFeatures(deepMerge(defaultFeatures(), answer.data));
        setDrafts({});
        setErrors({});
        setResult({ kind: "success", text: "Features reset to the defaults" });
      } else {
        const answer = await resumeTrading(instanceId);
        setResult({ kind: "success", text: answer.message || "Trading resumed" });
      }
    } catch (reason) {
      setResult({ kind: "error", text: messageOf(reason) });
    } finally {
      setBusy(null);
    }
  }

  function changeLevels(next: Features["takeProfitLevels"]["levels"]) {
    // Level drafts are by index: apply none of them across a re-numbering.
    setDrafts((previous) => Object.fromEntries(Object.entries(previous).filter(([key]) => !key.startsWith("takeProfitLevels.levels."))));
    setFeatures((previous) => setIn(previous, ["takeProfitLevels", "levels"], next));
  }

  return (
    <form
      className="features-form"
      aria-label="Trading features"
      noValidate
      onSubmit={(event) => {
        event.preventDefault();
        void run("save");
      }}
    >
      <fieldset>
        <legend>Take profit</legend>
        {checkField({ label: "Take-profit levels", path: ["takeProfitLevels", "enabled"] })}
        <SelectField
          label="Take-profit mode"
          value={features.takeProfitLevels.mode}
          onChange={(e) => setFeatures((previous) => setIn(previous, ["takeProfitLevels", "mode"], e.target.value))}
        >
          <option value="ladder">Ladder (sell part at each level)</option>
          <option value="single">Single (close at the first level)</option>
        </SelectField>
        {levels.map((_, index) => (
          <div key={index} className="row tp-level">
            {numberField({ label: `Level ${index + 1} profit (%)`, path: ["takeProfitLevels", "levels", index, "percentage"], min: 0, step: 0.1 })}
            {numberField({ label: `Level ${index + 1} exit (%)`, path: ["takeProfitLevels", "levels", index, "exitPercent"], min: 0, max: 100, step: 1 })}
            <button type="button" className="button secondary" aria-label={`Remove level ${index + 1}`} onClick={() => changeLevels(levels.filter((__, other) => other !== index))}>
              Remove
            </button>
          </div>
        ))}
        <button type="button" className="button secondary" onClick={() => changeLevels([...levels, { percentage: (levels.at(-1)?.percentage ?? 0) + 5, exitPercent: 100 }])}>
          Add level
        </button>
      </fieldset>
      {GROUPS.map((group) => (
        <fieldset key={group.title}>
          <legend>{group.title}</legend>
          {group.checks.map(checkField)}
          {group.title === "Daily loss protection" && (
            <SelectField
              label="Pause until"
              value={features.dailyLossProtection.pauseUntil}
              onChange={(e) => setFeatures((previous) => setIn(previous, ["dailyLossProtection", "pauseUntil"], e.target.value))}
            >
              <option value="nextDay">The next day</option>
              <option value="manual">I resume trading</option>
            </SelectField>
          )}
          <div className="grid feature-grid">{group.numbers.map(numberField)}</div>
        </fieldset>
      ))}
      {result && <Notice kind={result.kind}>{result.text}</Notice>}
      <div className="row">
        <button type="submit" className="button primary" disabled={busy !== null}>
          {busy === "save" ? "Saving…" : "Save features"}
        </button>
        <button type="button" className="button secondary" disabled={busy !== null} onClick={() => void run("reset")}>
          {busy === "reset" ? "Resetting…" : "Reset features"}
        </button>
        <button type="button" className="button secondary" disabled={busy !== null} onClick={() => void run("resume")}>
          {busy === "resume" ? "Resuming…" : "Resume trading"}
        </button>
      </div>
    </form>
  );
}
