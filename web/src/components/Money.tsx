/** A money amount, coloured by its sign when `signed`. */
import { formatMoney, formatSignedMoney, trend } from "../lib/money";

export function Money({ value, currency = "USD", signed = false }: { value: number | null | undefined; currency?: string; signed?: boolean }) {
  return <span className={signed ? `money ${trend(value)}` : "money"}>{signed ? formatSignedMoney(value, currency) : formatMoney(value, currency)}</span>;
}
