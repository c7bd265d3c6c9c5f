/** Strategies: what everyone can run; for admins the store (upload, validate, diff, deploy, roll back). */
import { useState, type SyntheticEvent } from "react";
import { ApiError, messageOf } from "../api/client";
import * as strategiesApi from "../api/strategies";
import type { StrategyDetail, ValidationReport } from "../api/strategies";
import { useAuth } from "../auth/AuthContext";
import { api } from "../auth/session";
import { Field } from "../components/Field";
import { EmptyState, ErrorState, Loading, Notice } from "../components/States";
import { formatDateTime } from "../lib/money";
import { useResource } from "../lib/useResource";

type Result = { kind: "success" | "error"; text: string } | null;

export function ReportView({ report }: { report: ValidationReport }) {
  return (
    <div className={`card report ${report.passed ? "passed" : "failed"}`} aria-label={`Validation report of ${report.strategy}`}>
      <h3>
        {report.strategy}: {report.passed ? "passed" : "refused"}
      </h3>
      <p className="muted">
        {report.trades} backtest trades, {report.signals.enter_long} entry and {report.signals.exit_long} exit signals, {report.duration_s.toFixed(1)} s
      </p>
      {report.errors.length > 0 && (
        <ul>
          {report.errors.map((error, index) => (
            <li key={index}>
              <strong>{error.kind}</strong>: {error.message}
              {error.file ? ` (${error.file}${error.line ? `:${error.line}` : ""})` : ""}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

function UploadForm({ onPublished }: { onPublished: () => void }) {
  const [fileName, setFileName] = useState("");
  const [source, setSource] = useState("");
  const [message, setMessage] = useState("");
  const [reports, setReports] = useState<ValidationReport[]>([]);
  const [result, setResult] = useState<Result>(null);
  const [busy, setBusy] = useState(false);

  async function onFile(file: File | undefined) {
    if (!file) return;
    setFileName(file.name);
    setSource(await file.text());
  }

  async function submit(event: SyntheticEvent<HTMLFormElement>) {
    event.preventDefault();
    if (!fileName.endsWith(".py") || !source.trim() || !message.trim()) {
      setResult({ kind: "error", text: "A .py file name, its source and a change message are needed" });
      return;
    }
    setBusy(true);
    setResult(null);
    setReports([]);
    try {
      const answer = await strategiesApi.upload(api, fileName.trim(), source, message.trim());
      setReports(answer.reports);
      setResult({ kind: "success", text: answer.message });
      onPublished();
    } catch (reason) {
      setReports(reason instanceof ApiError ? strategiesApi.reportsOf(reason.body) : []);
      setResult({ kind: "error", text: messageOf(reason) });
    } finally {
      setBusy(false);
    }
  }

  return (
    <form aria-label="Upload strategy" className="card" onSubmit={(event) => void submit(event)} noValidate>
      <h2>Upload a strategy</h2>
      <p className="muted">Every upload is validated by a short FreqTrade backtest on the sandbox before it is published as a new version.</p>
      <div className="field">
        <label htmlFor="strategy-file">Strategy file</label>
        <input id="strategy-file" type="file" accept=".py,text/x-python" onChange={(event) => void onFile(event.target.files?.[0])} />
      </div>
      <Field label="File name" placeholder="my_strategy.py" value={fileName} onChange={(event) => setFileName(event.target.value)} />
      <div className="field">
        <label htmlFor="strategy-source">Source</label>
        <textarea id="strategy-source" rows={8} className="code" value={source} onChange={(event) => setSource(event.target.value)} />
      </div>
      <Field label="Change message" value={message} onChange={(event) => setMessage(event.target.value)} />
      <button type="submit" className="button primary" disabled={busy}>
        {busy ? "Validating…" : "Validate and publish"}
      </button>
      {result && <Notice kind={result.kind}>{result.text}</Notice>}
      {reports.map((report) => (
        <ReportView key={report.strategy} report={report} />
      ))}
    </form>
  );
}

function StoreEntry({ strategy, onChanged }: { strategy: StrategyDetail; onChanged: () => void }) {
  const versions = strategy.changelog.map((item) => item.version);
  const [oldVersion, setOldVersion] = useState(versions.at(-2) ?? versions[0] ?? 1);
  const [newVersion, setNewVersion] = useState(versions.at(-1) ?? 1);
  const [diffText, setDiffText] = useState<string | null>(null);
  const [result, setResult] = useState<Result>(null);
  const [busy, setBusy] = useState(false);
  const label = strategy.className;

  async function act(action: () => Promise<string>) {
    setBusy(true);
    setResult(null);
    try {
      setResult({ kind: "success", text: await action() });
      onChanged();
    } catch (reason) {
      setResult({ kind: "error", text: messageOf(reason) });
    } finally {
      setBusy(false);
    }
  }

  const summary = (answer: strategiesApi.DeployAnswer) =>
    `${answer.message} (${answer.bots.length} bot${answer.bots.length === 1 ? "" : "s"}${answer.bots.some((bot) => bot.rolledBack) ? ", some rolled back" : ""})`;

  return (
    <section className="card stack" aria-labelledby={`store-${label}`}>
      <div className="spread">
        <h3 id={`store-${label}`}>{strategy.displayName || label}</h3>
        <span className="badge">
          v{strategy.version} · default v{strategy.defaultVersion}
        </span>
      </div>
      <div className="table-wrap">
        <table aria-label={`Versions of ${label}`}>
          <thead>
            <tr>
              <th>Version</th>
              <th>Message</th>
              <th>Author</th>
              <th>Date</th>
            </tr>
          </thead>
          <tbody>
            {[...strategy.changelog].reverse().map((item) => (
              <tr key={item.version}>
                <td>v{item.version}</td>
                <td>{item.message}</td>
                <td>{item.author}</td>
                <td>{formatDateTime(item.at)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <div className="row">
        <label>
          <span className="label-text">From </span>
          <select aria-label={`Diff of ${label} from version`} value={oldVersion} onChange={(event) => setOldVersion(Number(event.target.value))}>
            {versions.map((version) => (
              <option key={version} value={version}>
                v{version}
              </option>
            ))}
          </select>
        </label>
        <label>
          <span className="label-text">to </span>
          <select aria-label={`Diff of ${label} to version`} value={newVersion} onChange={(event) => setNewVersion(Number(event.target.value))}>
            {versions.map((version) => (
              <option key={version} value={version}>
                v{version}
              </option>
            ))}
          </select>
        </label>
        <button
          type="button"
          className="button secondary"
          disabled={busy}
          onClick={() =>
            void strategiesApi.diff(api, label, oldVersion, newVersion).then(
              (text) => setDiffText(text || "(no difference)"),
              (reason: unknown) => setResult({ kind: "error", text: messageOf(reason) }),
            )
          }
        >
          Show diff
        </button>
        <button type="button" className="button primary" disabled={busy} onClick={() => void act(async () => summary(await strategiesApi.deploy(api, label, newVersion, true)))}>
          Deploy v{newVersion}
        </button>
        <button
          type="button"
          className="button secondary"
          disabled={busy || oldVersion === strategy.defaultVersion}
          onClick={() => {
            if (window.confirm(`Roll ${label} back to v${oldVersion} on every bot?`)) void act(async () => summary(await strategiesApi.rollback(api, label, oldVersion)));
          }}
        >
          Roll back to v{oldVersion}
        </button>
      </div>
      {result && <Notice kind={result.kind}>{result.text}</Notice>}
      {diffText !== null && <pre className="code diff">{diffText}</pre>}
    </section>
  );
}

function Store() {
  const [version, setVersion] = useState(0);
  const store = useResource(() => strategiesApi.storeStrategies(api), [version]);
  const changed = () => setVersion((value) => value + 1);
  return (
    <section className="stack" aria-labelledby="store-title">
      <h2 id="store-title">Strategy store</h2>
      <UploadForm onPublished={changed} />
      {store.error ? (
        <ErrorState error={store.error} onRetry={store.reload} />
      ) : !store.data ? (
        <Loading label="Loading the store…" />
      ) : (
        store.data.map((strategy) => <StoreEntry key={strategy.className} strategy={strategy} onChanged={changed} />)
      )}
    </section>
  );
}

export function StrategiesPage() {
  const { user } = useAuth();
  const list = useResource(() => strategiesApi.enhancedStrategies(api), []);
  return (
    <div className="stack">
      <h1>Strategies</h1>
      {list.error ? (
        <ErrorState error={list.error} onRetry={list.reload} />
      ) : !list.data ? (
        <Loading label="Loading strategies…" />
      ) : list.data.length === 0 ? (
        <EmptyState title="No strategy is published" />
      ) : (
        <div className="card table-wrap">
          <table aria-label="Strategies">
            <thead>
              <tr>
                <th>Strategy</th>
                <th>Description</th>
                <th>Risk</th>
                <th>Timeframes</th>
                <th className="num">Version</th>
              </tr>
            </thead>
            <tbody>
              {list.data.map((strategy) => (
                <tr key={strategy.name}>
                  <td>
                    <strong>{strategy.displayName}</strong>
                    <div className="muted">{strategy.name}</div>
                  </td>
                  <td className="wrap">{strategy.description.split("\n")[0]}</td>
                  <td>{strategy.riskLevel}</td>
                  <td>{strategy.timeframes.join(", ")}</td>
                  <td className="num">v{strategy.version}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {user?.role === "admin" && <Store />}
    </div>
  );
}
