import { cleanup, fireEvent, render, screen, within } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { AdminPools } from "../src/api/pools";
import { answers, calls, reset } from "./fakeApi";

vi.mock("../src/auth/session", async () => (await import("./fakeApi")).sessionModule);
const { OperatorsPage } = await import("../src/pages/Operators");

const MIB = 1024 * 1024;
const pools: AdminPools = {
  pools: [
    {
      id: "demo",
      url: "http://127.0.0.1:18080",
      status: "healthy",
      lastSeen: "2026-12-07T06:00:00Z",
      capacity: 10,
      botsCount: 2,
      memory: { pssBytes: 900 * MIB, limitBytes: 4 * 1024 * MIB },
      bots: [
        { instanceId: "demo-scalp", ownerId: "u1", state: "running", pid: 4242, port: 18100, rssBytes: 200 * MIB, pssBytes: 56 * MIB, cpuPercent: 3.25, restarts: 1, stalled: false, heartbeatAgeS: 2.4, lastExit: null },
        { instanceId: "demo-stuck", ownerId: "u2", state: "running", pid: 4243, port: 18101, rssBytes: null, pssBytes: null, cpuPercent: null, restarts: 0, stalled: true, heartbeatAgeS: 95, lastExit: "stalled: no loop pass for 91s" },
      ],
    },
    { id: "far", url: "http://10.0.0.2:18080", status: "unreachable", lastSeen: null, capacity: 10, botsCount: 0, memory: null, error: "Pool far is not reachable: connection refused", bots: [] },
  ],
  reconciler: { actions: [{ at: "2026-12-07T06:01:00Z", poolId: "demo", botId: "demo-scalp", action: "restarted", detail: "desired running, found exited" }], leader: { replica: "gw-7f9c", since: "2026-12-07T05:59:00Z", term: 3 } },
};

beforeEach(() => {
  reset();
  answers.set("GET /api/admin/pools", () => pools);
});
afterEach(cleanup);

describe("OperatorsPage", () => {
  it("shows each pool with its memory and bots, and the reconciler's actions", async () => {
    render(<OperatorsPage />);
    const demo = (await screen.findByRole("heading", { name: "Pool demo" })).closest("section");
    expect(demo).not.toBeNull();
    const section = within(demo as HTMLElement);
    expect(section.getByText("900 MiB / 4.00 GiB")).toBeTruthy();
    const scalp = section.getByText("demo-scalp").closest("tr");
    expect(scalp?.textContent).toContain("56.0 MiB");
    expect(scalp?.textContent).toContain("3.3%");
    expect(section.getByText("running, stalled")).toBeTruthy();
    expect(screen.getByRole("heading", { name: "Pool far" })).toBeTruthy();
    expect(screen.getByText("unreachable")).toBeTruthy();
    expect(screen.getByText("Pool did not answer: Pool far is not reachable: connection refused")).toBeTruthy();
    expect(within(screen.getByRole("table", { name: "Reconciler actions" })).getByText("restarted")).toBeTruthy();
    const leader = screen.getByText("gw-7f9c").closest("p");
    expect(leader?.textContent).toContain("(term 3)");
  });

  it("says when no replica holds the reconciler's lease", async () => {
    answers.set("GET /api/admin/pools", () => ({ ...pools, reconciler: { actions: [], leader: null } }));
    render(<OperatorsPage />);
    expect(await screen.findByText(/No gateway replica leads right now/)).toBeTruthy();
  });

  it("runs a health check and reports what it found", async () => {
    answers.set("POST /api/freqtrade/pool/my-health-check", () => ({ issues: [{ type: "bot", id: "x", status: "down", message: "" }], pools: [], bots: [], recoveryActions: [] }));
    render(<OperatorsPage />);
    fireEvent.click(await screen.findByRole("button", { name: "Run health check" }));
    expect(await screen.findByText("Health check: 1 issue(s), 0 recovery action(s)")).toBeTruthy();
    expect(calls.filter((call) => call.path === "/api/admin/pools").length).toBeGreaterThanOrEqual(2);
  });

  it("falls back to the user's pools on a gateway without the operators' view", async () => {
    answers.delete("GET /api/admin/pools");
    answers.set("GET /api/freqtrade/pool/my-pools", () => ({ pools: [{ id: "p1", status: "healthy", botsCount: 1, capacity: 10, bots: ["b1"], metrics: { memoryUsageMB: 300, cpuPercent: 2 } }] }));
    render(<OperatorsPage />);
    expect(await screen.findByRole("heading", { name: "Pool p1" })).toBeTruthy();
    expect(screen.getByText(/no operators' pool view/)).toBeTruthy();
  });
});
