import { describe, expect, it } from "vitest";
import { formatBytes } from "../src/lib/bytes";

describe("formatBytes", () => {
  it("uses binary units with sensible digits", () => {
    expect(formatBytes(512)).toBe("512 B");
    expect(formatBytes(1536)).toBe("1.50 KiB");
    expect(formatBytes(56 * 1024 * 1024)).toBe("56.0 MiB");
    expect(formatBytes(700 * 1024 * 1024)).toBe("700 MiB");
    expect(formatBytes(2.5 * 1024 ** 3)).toBe("2.50 GiB");
  });
  it("marks unknown sizes", () => {
    expect(formatBytes(null)).toBe("—");
    expect(formatBytes(-1)).toBe("—");
  });
});
