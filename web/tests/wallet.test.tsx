import { cleanup, fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { MemoryRouter } from "react-router-dom";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ApiError } from "../src/api/client";
import type { Wallet, WalletTransaction } from "../src/api/wallet";
import { answers, calls, reset } from "./fakeApi";

vi.mock("../src/auth/session", async () => (await import("./fakeApi")).sessionModule);

const { WalletPage } = await import("../src/pages/Wallet");

function transaction(index: number): WalletTransaction {
  return { id: `t${index}`, type: index % 2 ? "deposit" : "withdraw", amount: 10 + index, description: `move ${index}`, balanceAfter: 1000 + index, timestamp: "2026-12-01T10:00:00Z" };
}

function wallet(balance: number): Wallet {
  return {
    balance,
    currency: "USD",
    lastUpdated: "2026-12-01T10:00:00Z",
    totalAllocated: 300,
    totalCurrentValue: 312.5,
    totalPortfolioValue: balance + 312.5,
    unrealizedPnL: 12.5,
    botAllocations: {
      "alice-bot-1": { allocatedAmount: 300, currentValue: 312.5, reservedInTrades: 50, availableBalance: 262.5, lifetimePnL: 12.5, allocatedAt: "2026-12-01T09:00:00Z", botName: "SandboxScalp1m (alice-bot-1)" },
    },
    recentTransactions: [transaction(1)],
  };
}

let balance = 700;

beforeEach(() => {
  reset();
  balance = 700;
  answers.set("POST /api/freqtrade/sync-wallet", () => ({ success: true }));
  answers.set("GET /api/account/wallet", () => ({ success: true, data: wallet(balance) }));
  answers.set("GET /api/account/wallet/transactions", (_body, query) => {
    const offset = query.offset ?? 0;
    return { success: true, data: { transactions: Array.from({ length: offset === 0 ? 20 : 5 }, (_, i) => transaction(i + offset)), total: 25, limit: 20, offset } };
  });
});

afterEach(cleanup);

function renderPage() {
  return render(
    <MemoryRouter>
      <WalletPage />
    </MemoryRouter>,
  );
}

describe("WalletPage", () => {
  it("shows balances and allocations, syncing the wallet first", async () => {
    renderPage();
    expect(await screen.findByTestId("wallet-balance")).toHaveProperty("textContent", "$700.00");
    expect(calls[0]).toMatchObject({ method: "POST", path: "/api/freqtrade/sync-wallet" });
    const row = within(screen.getByRole("table", { name: "Allocations" })).getByText("alice-bot-1").closest("tr");
    expect(row?.textContent).toContain("$312.50");
    expect(row?.textContent).toContain("+$12.50");
  });

  it("refuses a bad amount without calling the API and shows the API's error", async () => {
    answers.set("POST /api/account/wallet/withdraw", () => {
      throw new ApiError(400, "Insufficient funds", "INSUFFICIENT_FUNDS", null);
    });
    renderPage();
    const form = await screen.findByRole("form", { name: "Withdraw" });
    fireEvent.change(within(form).getByLabelText("Withdraw amount"), { target: { value: "1.234" } });
    fireEvent.click(within(form).getByRole("button", { name: "Withdraw" }));
    expect(await within(form).findByText(/at most two decimals/)).toBeTruthy();
    expect(calls.some((call) => call.path === "/api/account/wallet/withdraw")).toBe(false);
    fireEvent.change(within(form).getByLabelText("Withdraw amount"), { target: { value: "5000" } });
    fireEvent.click(within(form).getByRole("button", { name: "Withdraw" }));
    expect(await within(form).findByText("Insufficient funds")).toBeTruthy();
    expect(calls.find((call) => call.path === "/api/account/wallet/withdraw")?.body).toEqual({ amount: 5000, description: "Manual withdrawal" });
  });

  it("deposits and shows the new balance", async () => {
    answers.set("POST /api/account/wallet/deposit", (body) => {
      balance += (body as { amount: number }).amount;
      return { success: true, message: "Deposited $500.00", data: { balance } };
    });
    renderPage();
    const form = await screen.findByRole("form", { name: "Deposit" });
    fireEvent.change(within(form).getByLabelText("Deposit amount"), { target: { value: "500" } });
    fireEvent.click(within(form).getByRole("button", { name: "Deposit" }));
    expect(await within(form).findByText("Deposited $500.00")).toBeTruthy();
    await waitFor(() => expect(screen.getByTestId("wallet-balance").textContent).toBe("$1,200.00"));
  });

  it("pages the history by offset", async () => {
    renderPage();
    const table = await screen.findByRole("table", { name: "Transactions" });
    expect(within(table).getAllByRole("row")).toHaveLength(21);
    expect(screen.getByText("Page 1 of 2")).toBeTruthy();
    fireEvent.click(screen.getByRole("button", { name: "Older" }));
    await waitFor(() => expect(screen.getByText("Page 2 of 2")).toBeTruthy());
    expect(within(screen.getByRole("table", { name: "Transactions" })).getAllByRole("row")).toHaveLength(6);
    expect(calls.filter((call) => call.path === "/api/account/wallet/transactions").map((call) => call.query)).toContainEqual({ limit: 20, offset: 20 });
    expect(screen.getByRole<HTMLButtonElement>("button", { name: "Older" }).disabled).toBe(true);
  });

  it("falls back to the newest rows of W1 on a gateway without the history route", async () => {
    answers.delete("GET /api/account/wallet/transactions");
    renderPage();
    const table = await screen.findByRole("table", { name: "Transactions" });
    expect(within(table).getByText("move 1")).toBeTruthy();
    expect(screen.getByText("Page 1 of 1")).toBeTruthy();
  });
});
