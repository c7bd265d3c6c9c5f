/** Provision a paper-trading bot (B2): strategy, pairs from the market, allocation from the wallet. */
import { useState, type SyntheticEvent } from "react";
import { Link, useNavigate } from "react-router-dom";
import {
  STAKE_CURRENCIES,
  TIMEFRAMES,
  enhancedStrategies,
  listBots,
  marketPairs,
  provisionBot,
  suggestBotName,
  walletSummary,
  type EnhancedStrategy,
  type ProvisionRequest,
  type StakeCurrency,
  type Timeframe,
} from "../api/bots";
import { ApiError, messageOf } from "../api/client";
import { useAuth } from "../auth/AuthContext";
import { Field } from "../components/Field";
import { SelectField } from "../components/SelectField";
import { ErrorState, Loading, Notice } from "../components/States";
import { formatMoney, parseAmount } from "../lib/money";
import { useResource } from "../lib/useResource";

const DEFAULT_STRATEGY = "EmaRsiStrategy";
const DEFAULT_PAIR_BASES = ["BTC", "ETH", "SOL"];
/** Above this many pairs the list gets a filter and shows only the first matches. */
const PAIRS_SHOWN = 60;
const BOT_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

type FieldName = keyof ProvisionRequest;
export type FieldErrors = Partial<Record<FieldName, string>>;

export interface ProvisionForm {
  name: string;
  strategy: string;
  stakeCurrency: StakeCurrency;
  timeframe: Timeframe;
  stakeAmount: string;
  maxOpenTrades: string;
  allocation: string;
  pairs: string[];
}

/** The B2 body for a form, or the errors that stop it from being sent (checked in the browser). */
export function buildProvisionRequest(form: ProvisionForm, balance: number): { body: ProvisionRequest | null; errors: FieldErrors } {
  const errors: FieldErrors = {};
  const instanceId = form.name.trim();
  if (!BOT_ID.test(instanceId)) errors.instanceId = "Use 1–64 letters, digits, '_', '.' or '-', starting with a letter or digit";
  if (!form.strategy) errors.strategy = "Choose a strategy";
  const stake = Number(form.stakeAmount.trim());
  if (!form.stakeAmount.trim() || !Number.isFinite(stake) || stake <= 0) errors.stake_amount = "Enter a stake amount greater than 0";
  const trades = Number(form.maxOpenTrades.trim());
  if (!Number.isInteger(trades) || trades < 1) errors.max_open_trades = "Enter a whole number of at least 1";
  if (form.pairs.length === 0) errors.tradingPairs = "Choose at least one pair";
  const allocation = parseAmount(form.allocation);
  if (allocation === null) errors.initialBalance = "Enter an amount greater than 0 (at most two decimals)";
  else if (allocation > balance) errors.initialBalance = `The allocation cannot be more than your wallet balance (${formatMoney(balance)})`;
  if (Object.keys(errors).length > 0 || allocation === null) return { body: null, errors };
  return {
    body: {
      instanceId,
      strategy: form.strategy,
      exchange: "binance",
      stake_currency: form.stakeCurrency,
      stake_amount: stake,
      max_open_trades: trades,
      dry_run: true,
      tradingPairs: form.pairs,
      initialBalance: allocation,
      timeframe: form.timeframe,
    },
    errors,
  };
}

/** The pairs ticked before the user chooses: BTC, ETH and SOL of the quote when listed, else the first three. */
export function defaultPairs(pairs: readonly string[]): string[] {
  const preferred = pairs.filter((pair) => DEFAULT_PAIR_BASES.includes(pair.split("/")[0] ?? ""));
  return preferred.length > 0 ? preferred : pairs.slice(0, 3);
}

/** The form field an API error names (`tradingPairs[1]` → `tradingPairs`), if it is one of ours. */
function fieldOf(error: ApiError): FieldName | null {
  const name = (error.field ?? "").split(/[.[]/)[0] ?? "";
  const known: FieldName[] = ["instanceId", "strategy", "exchange", "stake_currency", "stake_amount", "max_open_trades", "dry_run", "tradingPairs", "initialBalance", "timeframe"];
  return known.find((field) => field === name) ?? null;
}

function strategyHint(strategy: EnhancedStrategy | undefined): string | undefined {
  if (!strategy) return undefined;
  return strategy.description || undefined;
}

async function loadSetup() {
  const [bots, wallet, strategies] = await Promise.all([listBots(), walletSummary(), enhancedStrategies().catch(() => [])]);
  return { bots, wallet, strategies };
}

export function ProvisionBotPage() {
  const { user } = useAuth();
  const navigate = useNavigate();
  const setup = useResource(loadSetup, []);
  const [stakeCurrency, setStakeCurrency] = useState<StakeCurrency>("USD");
  const markets = useResource(() => marketPairs(stakeCurrency), [stakeCurrency]);

  // Null: the suggested value (it depends on data that arrives later).
  const [name, setName] = useState<string | null>(null);
  const [strategy, setStrategy] = useState<string | null>(null);
  const [allocation, setAllocation] = useState<string | null>(null);
  const [chosenPairs, setChosenPairs] = useState<{ quote: string; pairs: string[] } | null>(null);
  const [timeframe, setTimeframe] = useState<Timeframe>("15m");
  const [stakeAmount, setStakeAmount] = useState("100");
  const [maxOpenTrades, setMaxOpenTrades] = useState("3");
  const [pairFilter, setPairFilter] = useState("");
  const [errors, setErrors] = useState<FieldErrors>({});
  const [failure, setFailure] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  if (setup.loading && !setup.data) return <Loading label="Loading the form…" />;
  if (!setup.data) return <ErrorState error={setup.error} onRetry={setup.reload} title="The form could not be loaded" />;

  const { bots, wallet, strategies } = setup.data;
  const balance = wallet.balance;
  // The selector still offers the default strategy when S2 failed or is empty.
  const shownStrategies: EnhancedStrategy[] = strategies.length > 0 ? strategies : [{ name: DEFAULT_STRATEGY, displayName: DEFAULT_STRATEGY, description: "" }];
  const fallbackStrategy = shownStrategies.find((item) => item.name === DEFAULT_STRATEGY)?.name ?? shownStrategies[0]?.name ?? DEFAULT_STRATEGY;
  const strategyValue = strategy ?? fallbackStrategy;
  const nameValue = name ?? suggestBotName(user?.email, bots);
  const allocationValue = allocation ?? String(Math.max(0, Math.min(balance, 1000)));
  // While another currency's pairs load, the previous list is stale.
  const marketsReady = !markets.loading && markets.data !== null;
  const marketList = marketsReady ? (markets.data?.pairs ?? []) : [];
  const pairs = chosenPairs?.quote === stakeCurrency ? chosenPairs.pairs : defaultPairs(marketList);
  const filter = pairFilter.trim().toUpperCase();
  const matching = marketList.filter((pair) => pairs.includes(pair) || !filter || pair.includes(filter));
  const shownPairs = matching.slice(0, PAIRS_SHOWN);

  function togglePair(pair: string, checked: boolean) {
    const next = checked ? [...pairs, pair] : pairs.filter((item) => item !== pair);
    setChosenPairs({ quote: stakeCurrency, pairs: next });
    setErrors((previous) => ({ ...previous, tradingPairs: undefined }));
  }

  async function onSubmit(event: SyntheticEvent<HTMLFormElement>) {
    event.preventDefault();
    setFailure(null);
    const form: ProvisionForm = { name: nameValue, strategy: strategyValue, stakeCurrency, timeframe, stakeAmount, maxOpenTrades, allocation: allocationValue, pairs };
    const { body, errors: found } = buildProvisionRequest(form, balance);
    setErrors(found);
    if (!body) return;
    setBusy(true);
    try {
      const answer = await provisionBot(body);
      if (!answer.success) throw new Error(answer.message || "The bot could not be provisioned");
      void navigate(`/bots/${encodeURIComponent(answer.instanceId || body.instanceId)}`);
    } catch (reason) {
      const field = reason instanceof ApiError ? fieldOf(reason) : null;
      if (field && reason instanceof ApiError) setErrors({ [field]: reason.message });
      else setFailure(messageOf(reason));
      setBusy(false);
    }
  }

  const selected = shownStrategies.find((item) => item.name === strategyValue);
  const pairsHint = marketsReady && markets.data && !markets.data.live ? `The market cannot be reached: showing ${marketList.join(", ")}.` : null;

  return (
    <div className="stack provision-page">
      <div className="spread">
        <h1>New bot</h1>
        <Link to="/bots">Back to bots</Link>
      </div>
      <form className="card provision-form" onSubmit={(event) => void onSubmit(event)} noValidate aria-label="New bot">
        <p className="muted">
          A paper-trading bot on Binance market data (dry run). Wallet balance: <strong>{formatMoney(balance, wallet.currency)}</strong>
        </p>
        <Field label="Bot name" value={nameValue} onChange={(e) => setName(e.target.value)} error={errors.instanceId} autoComplete="off" required />
        <SelectField label="Strategy" value={strategyValue} onChange={(e) => setStrategy(e.target.value)} error={errors.strategy} hint={strategyHint(selected)}>
          {shownStrategies.map((item) => (
            <option key={item.name} value={item.name}>
              {item.displayName || item.name}
            </option>
          ))}
        </SelectField>
        <div className="grid provision-grid">
          <SelectField
            label="Stake currency"
            value={stakeCurrency}
            onChange={(e) => {
              setStakeCurrency(e.target.value as StakeCurrency);
              setPairFilter("");
            }}
            error={errors.stake_currency}
          >
            {STAKE_CURRENCIES.map((currency) => (
              <option key={currency} value={currency}>
                {currency}
              </option>
            ))}
          </SelectField>
          <SelectField label="Timeframe" value={timeframe} onChange={(e) => setTimeframe(e.target.value as Timeframe)} error={errors.timeframe}>
            {TIMEFRAMES.map((item) => (
              <option key={item} value={item}>
                {item}
              </option>
            ))}
          </SelectField>
          <Field label="Stake amount" inputMode="decimal" value={stakeAmount} onChange={(e) => setStakeAmount(e.target.value)} error={errors.stake_amount} hint={`Per trade, in ${stakeCurrency}`} />
          <Field label="Max open trades" inputMode="numeric" value={maxOpenTrades} onChange={(e) => setMaxOpenTrades(e.target.value)} error={errors.max_open_trades} />
        </div>
        <Field
          label="Allocation"
          inputMode="decimal"
          value={allocationValue}
          onChange={(e) => {
            setAllocation(e.target.value);
            setErrors((previous) => ({ ...previous, initialBalance: undefined }));
          }}
          error={errors.initialBalance}
          hint={`Paper money moved from your wallet into the bot: at most ${formatMoney(balance, wallet.currency)}`}
        />
        <fieldset className="pairs" aria-describedby={errors.tradingPairs ? "pairs-error" : pairsHint ? "pairs-hint" : undefined}>
          <legend>Pairs</legend>
          {!marketsReady ? (
            <Loading label={`Loading ${stakeCurrency} pairs…`} />
          ) : (
            <>
              {marketList.length > 12 && (
                <Field label="Filter pairs" value={pairFilter} onChange={(e) => setPairFilter(e.target.value)} placeholder="e.g. BTC" autoComplete="off" />
              )}
              <div className="pair-list">
                {shownPairs.map((pair) => (
                  <label key={pair} className="checkbox">
                    <input type="checkbox" checked={pairs.includes(pair)} onChange={(e) => togglePair(pair, e.target.checked)} />
                    {pair}
                  </label>
                ))}
              </div>
              {matching.length > shownPairs.length && (
                <small className="hint">
                  Showing {shownPairs.length} of {matching.length} pairs: type in the filter to find others.
                </small>
              )}
              {shownPairs.length === 0 && <small className="hint">No pair matches the filter.</small>}
            </>
          )}
          {pairsHint && (
            <small id="pairs-hint" className="hint">
              {pairsHint}
            </small>
          )}
          {errors.tradingPairs && (
            <small id="pairs-error" className="field-error">
              {errors.tradingPairs}
            </small>
          )}
        </fieldset>
        {failure && <Notice kind="error">{failure}</Notice>}
        <button type="submit" className="button primary" disabled={busy || !marketsReady}>
          {busy ? "Provisioning…" : "Provision bot"}
        </button>
      </form>
    </div>
  );
}
