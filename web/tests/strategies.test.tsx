import { cleanup, fireEvent, render, screen } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ApiError } from "../src/api/client";
import { answers, calls, reset } from "./fakeApi";

const role = { current: "user" as "user" | "admin" };
vi.mock("../src/auth/session", async () => (await import("./fakeApi")).sessionModule);
vi.mock("../src/auth/AuthContext", () => ({ useAuth: () => ({ user: { id: "u1", name: "A", email: "a@example.com", avatar: "", role: role.current } }) }));
const { StrategiesPage } = await import("../src/pages/Strategies");

const enhanced = [{ name: "SandboxScalp1m", displayName: "Sandbox scalper", description: "Fast scalper\nmore", features: [], riskLevel: "high", recommendedFor: "", timeframes: ["1m"], version: 2 }];
const detail = {
  className: "SandboxScalp1m",
  fileName: "sandbox_scalp_1m.py",
  displayName: "Sandbox scalper",
  description: "",
  riskLevel: "high",
  version: 2,
  defaultVersion: 2,
  changelog: [
    { version: 1, commit: "a", message: "seed", author: "seed", at: "2026-12-01T00:00:00Z" },
    { version: 2, commit: "b", message: "tighter exits", author: "admin@example.com", at: "2026-12-02T00:00:00Z" },
  ],
};

beforeEach(() => {
  reset();
  role.current = "user";
  answers.set("GET /api/freqtrade/strategies/enhanced", () => ({ strategies: enhanced }));
  answers.set("GET /api/admin/strategies", () => ({ strategies: [detail] }));
});
afterEach(cleanup);

describe("StrategiesPage", () => {
  it("lists the published strategies and hides the store from users", async () => {
    render(<StrategiesPage />);
    expect(await screen.findByText("Sandbox scalper")).toBeTruthy();
    expect(screen.getByRole("table", { name: "Strategies" }).textContent).toContain("Fast scalper");
    expect(screen.queryByRole("form", { name: "Upload strategy" })).toBeNull();
    expect(calls.some((call) => call.path === "/api/admin/strategies")).toBe(false);
  });

  it("shows an admin the report of a refused upload", async () => {
    role.current = "admin";
    const report = { passed: false, strategy: "Broken", errors: [{ kind: "import", message: "No module named nope", file: "broken.py", line: 3 }], trades: 0, signals: { enter_long: 0, exit_long: 0 }, duration_s: 1.2 };
    answers.set("POST /api/admin/strategies", () => {
      throw new ApiError(422, "Broken failed validation", "STRATEGY_INVALID", { reports: [report] });
    });
    render(<StrategiesPage />);
    expect(await screen.findByRole("table", { name: "Versions of SandboxScalp1m" })).toBeTruthy();
    fireEvent.change(screen.getByLabelText("File name"), { target: { value: "broken.py" } });
    fireEvent.change(screen.getByLabelText("Source"), { target: { value: "import nope\n" } });
    fireEvent.change(screen.getByLabelText("Change message"), { target: { value: "try" } });
    fireEvent.click(screen.getByRole("button", { name: "Validate and publish" }));
    expect(await screen.findByText("Broken failed validation")).toBeTruthy();
    expect(screen.getByLabelText("Validation report of Broken").textContent).toContain("No module named nope (broken.py:3)");
    expect(calls.find((call) => call.method === "POST")?.body).toEqual({ fileName: "broken.py", source: "import nope\n", message: "try" });
  });

  it("deploys the chosen version to every bot and shows the diff", async () => {
    role.current = "admin";
    answers.set("POST /api/admin/strategies/SandboxScalp1m/deploy", () => ({ message: "v2 deployed", strategy: "SandboxScalp1m", version: 2, defaultSet: true, bots: [{ botId: "b1", version: 2, applied: "restart", rolledBack: false, message: "" }] }));
    answers.set("GET /api/admin/strategies/SandboxScalp1m/diff", () => ({ diff: "-old\n+new" }));
    render(<StrategiesPage />);
    fireEvent.click(await screen.findByRole("button", { name: "Deploy v2" }));
    expect(await screen.findByText("v2 deployed (1 bot)")).toBeTruthy();
    expect(calls.find((call) => call.path.endsWith("/deploy"))?.body).toEqual({ version: 2, allBots: true, default: true });
    fireEvent.click(screen.getByRole("button", { name: "Show diff" }));
    expect(await screen.findByText(/\+new/)).toBeTruthy();
    expect(calls.find((call) => call.path.endsWith("/diff"))?.query).toEqual({ old: 1, new: 2 });
  });
});
