/** An accessible SVG line chart of the portfolio value (no chart library). */
import type { ChartPoint } from "../api/portfolio";
import { formatMoney } from "../lib/money";
import { EmptyState } from "./States";

const WIDTH = 600;
const HEIGHT = 240;
const PAD = { top: 12, right: 12, bottom: 28, left: 72 };

/** The points worth drawing: leading empty buckets (value 0, no snapshot yet) are left out. */
export function drawablePoints(points: readonly ChartPoint[]): ChartPoint[] {
  const first = points.findIndex((point) => point.showPoint || point.portfolioValue !== 0);
  return first < 0 ? [] : points.slice(first);
}

function timeLabel(ms: number, spanMs: number): string {
  const date = new Date(ms);
  return spanMs > 36 * 3_600_000
    ? date.toLocaleDateString("en-US", { month: "short", day: "numeric" })
    : date.toLocaleTimeString("en-US", { hour: "2-digit", minute: "2-digit" });
}

export interface ChartProps {
  points: readonly ChartPoint[];
  /** e.g. "24h"; used in the accessible summary. */
  rangeLabel: string;
  currency?: string;
}

export function Chart({ points, rangeLabel, currency = "USD" }: ChartProps) {
  const shown = drawablePoints(points);
  const first = shown[0];
  const last = shown[shown.length - 1];
  if (first === undefined || last === undefined) {
    return <EmptyState title="No history yet">The chart fills in as your bots trade.</EmptyState>;
  }
  const values = shown.map((point) => point.portfolioValue);
  let low = Math.min(...values);
  let high = Math.max(...values);
  if (high - low < 0.01) {
    low -= 1;
    high += 1;
  }
  const start = first.timestamp;
  const span = Math.max(last.timestamp - start, 1);
  const plotWidth = WIDTH - PAD.left - PAD.right;
  const plotHeight = HEIGHT - PAD.top - PAD.bottom;
  const x = (ms: number) => PAD.left + (shown.length === 1 ? plotWidth / 2 : ((ms - start) / span) * plotWidth);
  const y = (value: number) => PAD.top + (1 - (value - low) / (high - low)) * plotHeight;
  const path = shown.map((point, index) => `${index === 0 ? "M" : "L"}${x(point.timestamp).toFixed(1)},${y(point.portfolioValue).toFixed(1)}`).join(" ");
  const summary = `Portfolio value over ${rangeLabel}: from ${formatMoney(first.portfolioValue, currency)} to ${formatMoney(last.portfolioValue, currency)}, ${String(shown.length)} points`;
  const bottom = HEIGHT - PAD.bottom;

  return (
    <svg className="chart" viewBox={`0 0 ${String(WIDTH)} ${String(HEIGHT)}`} role="img" aria-label={summary}>
      <line className="chart-axis" x1={PAD.left} y1={PAD.top} x2={PAD.left} y2={bottom} />
      <line className="chart-axis" x1={PAD.left} y1={bottom} x2={WIDTH - PAD.right} y2={bottom} />
      <text className="chart-label" x={PAD.left - 6} y={PAD.top + 4} textAnchor="end">
        {formatMoney(high, currency)}
      </text>
      <text className="chart-label" x={PAD.left - 6} y={bottom} textAnchor="end">
        {formatMoney(low, currency)}
      </text>
      <text className="chart-label" x={PAD.left} y={HEIGHT - 8} textAnchor="start">
        {timeLabel(start, span)}
      </text>
      <text className="chart-label" x={WIDTH - PAD.right} y={HEIGHT - 8} textAnchor="end">
        {timeLabel(last.timestamp, span)}
      </text>
      <path className="chart-line" d={path} fill="none" />
      {shown
        .filter((point) => point.showPoint)
        .map((point) => (
          <circle key={point.timestamp} className="chart-point" data-testid="chart-point" cx={x(point.timestamp)} cy={y(point.portfolioValue)} r={3} />
        ))}
    </svg>
  );
}
