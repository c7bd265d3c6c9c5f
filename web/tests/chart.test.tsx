import { cleanup, render, screen } from "@testing-library/react";
import { afterEach, describe, expect, it } from "vitest";
import type { ChartPoint } from "../src/api/portfolio";
import { Chart, drawablePoints } from "../src/components/Chart";

afterEach(cleanup);

function point(minute: number, value: number, showPoint = true): ChartPoint {
  return { timestamp: Date.UTC(2026, 11, 7, 6, minute), portfolioValue: value, totalPnL: value - 1000, showPoint, activeBots: 1, botCount: 1 };
}

describe("Chart", () => {
  it("draws a line with a dot per shown point and summarises first and last value", () => {
    render(<Chart points={[point(0, 1000), point(5, 1005.5, false), point(10, 1012.3)]} rangeLabel="1h" />);
    const chart = screen.getByRole("img");
    expect(chart.getAttribute("aria-label")).toBe("Portfolio value over 1h: from $1,000.00 to $1,012.30, 3 points");
    expect(screen.getAllByTestId("chart-point")).toHaveLength(2);
    const path = chart.querySelector("path.chart-line")?.getAttribute("d") ?? "";
    expect(path.split(" ")).toHaveLength(3);
    expect(path.startsWith("M72.0,")).toBe(true);
    // Axis labels: the highest and lowest value.
    expect(screen.getByText("$1,012.30")).toBeTruthy();
    expect(screen.getByText("$1,000.00")).toBeTruthy();
  });

  it("puts the higher value nearer the top", () => {
    render(<Chart points={[point(0, 1000), point(10, 1100)]} rangeLabel="1h" />);
    const dots = screen.getAllByTestId("chart-point").map((dot) => Number(dot.getAttribute("cy")));
    expect(dots[1]).toBeLessThan(dots[0] ?? 0);
  });

  it("shows the empty state without points, or with only empty leading buckets", () => {
    render(<Chart points={[]} rangeLabel="24h" />);
    expect(screen.getByText("No history yet")).toBeTruthy();
    expect(screen.queryByRole("img")).toBeNull();
    cleanup();
    render(<Chart points={[point(0, 0, false), point(5, 0, false)]} rangeLabel="24h" />);
    expect(screen.getByText("No history yet")).toBeTruthy();
  });

  it("leaves out the zero buckets before the first snapshot", () => {
    expect(drawablePoints([point(0, 0, false), point(5, 1000), point(10, 0, false)]).map((p) => p.portfolioValue)).toEqual([1000, 0]);
  });
});
