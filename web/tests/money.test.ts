import { describe, expect, it } from "vitest";
import { formatDateTime, formatMoney, formatNumber, formatPercent, formatSignedMoney, parseAmount, trend } from "../src/lib/money";

describe("formatMoney", () => {
  it("formats ISO currencies with two decimals and separators", () => {
    expect(formatMoney(1234.5)).toBe("$1,234.50");
    expect(formatMoney(0.005)).toBe("$0.01");
    expect(formatMoney(1000, "EUR")).toBe("€1,000.00");
  });
  it("writes the code after the number for crypto quotes", () => {
    expect(formatMoney(1234.567, "USDT")).toBe("1,234.57 USDT");
  });
  it("never shows a negative zero and marks missing values", () => {
    expect(formatMoney(-0.001)).toBe("$0.00");
    expect(formatMoney(null)).toBe("—");
    expect(formatMoney(Number.NaN)).toBe("—");
  });
});

describe("signed values", () => {
  it("puts the sign in front of the currency", () => {
    expect(formatSignedMoney(12.3)).toBe("+$12.30");
    expect(formatSignedMoney(-4)).toBe("-$4.00");
    expect(formatSignedMoney(0.004)).toBe("$0.00");
    expect(formatSignedMoney(-2.5, "USDT")).toBe("-2.50 USDT");
  });
  it("formats percentages given in percent", () => {
    expect(formatPercent(2.5)).toBe("+2.50%");
    expect(formatPercent(-1.234)).toBe("-1.23%");
    expect(formatPercent(0)).toBe("0.00%");
    expect(formatPercent(-3, false)).toBe("-3.00%");
    expect(formatPercent(undefined)).toBe("—");
  });
  it("classifies a P&L by its rounded sign", () => {
    expect(trend(0.01)).toBe("gain");
    expect(trend(-0.01)).toBe("loss");
    expect(trend(0.004)).toBe("flat");
    expect(trend(null)).toBe("flat");
  });
});

describe("parseAmount", () => {
  it("accepts positive amounts with at most two decimals", () => {
    expect(parseAmount("500")).toBe(500);
    expect(parseAmount(" 1,250.75 ")).toBe(1250.75);
  });
  it("refuses anything else", () => {
    for (const text of ["", "0", "-5", "1.234", "abc", "1e3", "5."]) expect(parseAmount(text)).toBeNull();
  });
});

describe("other formats", () => {
  it("formats plain numbers and dates", () => {
    expect(formatNumber(0.123456)).toBe("0.1235");
    expect(formatNumber(1234, 0)).toBe("1,234");
    expect(formatDateTime("not a date")).toBe("—");
    expect(formatDateTime(null)).toBe("—");
    expect(formatDateTime("2026-01-02T03:04:00Z")).toMatch(/2026/);
  });
});
