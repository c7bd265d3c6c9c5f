/** Money and number formatting: always two decimals for money, a sign for changes. */

const formatters = new Map<string, Intl.NumberFormat>();

function currencyFormat(currency: string): Intl.NumberFormat {
  let format = formatters.get(currency);
  if (!format) {
    try {
      format = new Intl.NumberFormat("en-US", { style: "currency", currency, minimumFractionDigits: 2, maximumFractionDigits: 2 });
    } catch {
      // Not an ISO currency (USDT, BTC): the number and the code.
      format = new Intl.NumberFormat("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 });
    }
    formatters.set(currency, format);
  }
  return format;
}

function isIsoCurrency(currency: string): boolean {
  return currencyFormat(currency).resolvedOptions().style === "currency";
}

/** `1234.5` → `$1,234.50`; `USDT` → `1,234.50 USDT`; not a number → `—`. */
export function formatMoney(value: number | null | undefined, currency = "USD"): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return "—";
  const rounded = Math.round(value * 100) / 100;
  const amount = currencyFormat(currency).format(Object.is(rounded, -0) ? 0 : rounded);
  return isIsoCurrency(currency) ? amount : `${amount} ${currency}`;
}

/** A change with its sign: `+$12.30`, `-$4.00`, `$0.00`. */
export function formatSignedMoney(value: number | null | undefined, currency = "USD"): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return "—";
  const text = formatMoney(Math.abs(value), currency);
  const rounded = Math.round(value * 100) / 100;
  if (rounded > 0) return `+${text}`;
  if (rounded < 0) return `-${text}`;
  return text;
}

/** A percentage given in percent (2.5 → `+2.50%`). */
export function formatPercent(value: number | null | undefined, signed = true): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return "—";
  const rounded = Math.round(value * 100) / 100;
  const text = `${Math.abs(rounded).toFixed(2)}%`;
  if (!signed) return rounded < 0 ? `-${text}` : text;
  if (rounded > 0) return `+${text}`;
  if (rounded < 0) return `-${text}`;
  return text;
}

/** A plain number with a fixed number of decimals and thousands separators. */
export function formatNumber(value: number | null | undefined, decimals = 4): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return "—";
  return value.toLocaleString("en-US", { minimumFractionDigits: decimals, maximumFractionDigits: decimals });
}

/** "gain", "loss" or "flat": the CSS class of a P&L value. */
export function trend(value: number | null | undefined): "gain" | "loss" | "flat" {
  if (value === null || value === undefined || !Number.isFinite(value)) return "flat";
  const rounded = Math.round(value * 100) / 100;
  return rounded > 0 ? "gain" : rounded < 0 ? "loss" : "flat";
}

/** Parse a money amount typed by the user: a positive number with at most two decimals. */
export function parseAmount(text: string): number | null {
  const cleaned = text.trim().replace(/,/g, "");
  if (!/^\d+(\.\d{1,2})?$/.test(cleaned)) return null;
  const value = Number(cleaned);
  return Number.isFinite(value) && value > 0 ? value : null;
}

/** A date-time for tables, in the user's locale. */
export function formatDateTime(value: string | number | null | undefined): string {
  if (value === null || value === undefined || value === "") return "—";
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? "—" : date.toLocaleString("en-US", { dateStyle: "medium", timeStyle: "short" });
}
