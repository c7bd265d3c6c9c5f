import { describe, expect, it, vi } from "vitest";
import { ApiClient, ApiError, REFRESH_MARGIN_MS, messageOf, tokenExpiry, type TokenStore } from "../src/api/client";

function memoryTokens(initial: string | null): TokenStore & { value: string | null } {
  const store = {
    value: initial,
    get: () => store.value,
    set: (token: string | null) => {
      store.value = token;
    },
  };
  return store;
}

/** A JWT whose payload has `exp` (seconds); the signature does not matter to the client. */
function jwt(expSeconds: number): string {
  const encode = (value: object) => btoa(JSON.stringify(value)).replace(/=+$/, "");
  return `${encode({ alg: "HS256", typ: "JWT" })}.${encode({ user: { id: "u1" }, exp: expSeconds })}.sig`;
}

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });
}

interface Call {
  url: string;
  init: RequestInit;
}

function recordingFetch(answers: Response[]): { fetch: typeof fetch; calls: Call[] } {
  const calls: Call[] = [];
  const fetchImpl = vi.fn((input: string, init?: RequestInit) => {
    calls.push({ url: input, init: init ?? {} });
    const next = answers.shift();
    if (!next) throw new Error("no more answers");
    return Promise.resolve(next);
  });
  return { fetch: fetchImpl as unknown as typeof fetch, calls };
}

function header(call: Call | undefined, name: string): string | undefined {
  return (call?.init.headers as Record<string, string> | undefined)?.[name];
}

const NOW = 1_800_000_000_000;

describe("ApiClient", () => {
  it("sends the bearer token, JSON body and query, and parses the answer", async () => {
    const { fetch, calls } = recordingFetch([json(200, { success: true, data: { balance: 5 } })]);
    const api = new ApiClient({ baseUrl: "https://api.example", tokens: memoryTokens("tok"), fetch, now: () => NOW });
    const answer = await api.post<{ data: { balance: number } }>("/api/account/wallet/deposit", { amount: 5 }, { query: { a: 1, skip: undefined } });
    expect(answer.data.balance).toBe(5);
    expect(calls[0]?.url).toBe("https://api.example/api/account/wallet/deposit?a=1");
    expect(calls[0]?.init.method).toBe("POST");
    expect(calls[0]?.init.body).toBe('{"amount":5}');
    expect(header(calls[0], "Authorization")).toBe("Bearer tok");
    expect(header(calls[0], "Content-Type")).toBe("application/json");
    expect(calls[0]?.init.credentials).toBeUndefined();
  });

  it("turns the gateway's error body into an ApiError", async () => {
    const body = { success: false, message: "Insufficient funds", code: "INSUFFICIENT_FUNDS", field: "amount" };
    const { fetch } = recordingFetch([json(400, body)]);
    const api = new ApiClient({ baseUrl: "", tokens: memoryTokens("tok"), fetch });
    const error = await api.post("/api/account/wallet/withdraw", { amount: 9 }).catch((reason: unknown) => reason);
    expect(error).toBeInstanceOf(ApiError);
    const apiError = error as ApiError;
    expect([apiError.status, apiError.message, apiError.code, apiError.field]).toEqual([400, "Insufficient funds", "INSUFFICIENT_FUNDS", "amount"]);
    expect(messageOf(error)).toBe("Insufficient funds");
  });

  it("names the status when the error is not JSON", async () => {
    const { fetch } = recordingFetch([new Response("<html>bad gateway</html>", { status: 502 })]);
    const api = new ApiClient({ baseUrl: "", tokens: memoryTokens(null), fetch });
    await expect(api.get("/api/health")).rejects.toMatchObject({ status: 502, message: "Server error: 502", code: "HTTP_502" });
  });

  it("refreshes a JWT that expires within the margin before the call", async () => {
    const tokens = memoryTokens(jwt((NOW + REFRESH_MARGIN_MS - 1000) / 1000));
    const refresh = vi.fn(() => Promise.resolve("fresh"));
    const { fetch, calls } = recordingFetch([json(200, { ok: 1 })]);
    const api = new ApiClient({ baseUrl: "", tokens, fetch, refresh, now: () => NOW });
    await api.get("/api/freqtrade/bots");
    expect(refresh).toHaveBeenCalledOnce();
    expect(tokens.value).toBe("fresh");
    expect(header(calls[0], "Authorization")).toBe("Bearer fresh");
  });

  it("keeps a token that is not about to expire", async () => {
    const token = jwt((NOW + 10 * 60_000) / 1000);
    const refresh = vi.fn(() => Promise.resolve("fresh"));
    const { fetch, calls } = recordingFetch([json(200, {})]);
    const api = new ApiClient({ baseUrl: "", tokens: memoryTokens(token), fetch, refresh, now: () => NOW });
    await api.get("/api/freqtrade/bots");
    expect(refresh).not.toHaveBeenCalled();
    expect(header(calls[0], "Authorization")).toBe(`Bearer ${token}`);
  });

  it("retries once with a renewed token after a 401", async () => {
    const tokens = memoryTokens("old");
    const { fetch, calls } = recordingFetch([json(401, { message: "expired" }), json(200, { bots: [] })]);
    const lost = vi.fn();
    const api = new ApiClient({ baseUrl: "", tokens, fetch, refresh: () => Promise.resolve("new"), onSessionLost: lost });
    expect(await api.get("/api/freqtrade/bots")).toEqual({ bots: [] });
    expect(calls.map((call) => header(call, "Authorization"))).toEqual(["Bearer old", "Bearer new"]);
    expect(lost).not.toHaveBeenCalled();
  });

  it("signs out when the session cannot be renewed", async () => {
    const { fetch, calls } = recordingFetch([json(401, { message: "Invalid token", code: "INVALID_TOKEN" })]);
    const lost = vi.fn();
    const api = new ApiClient({ baseUrl: "", tokens: memoryTokens("old"), fetch, refresh: () => Promise.reject(new Error("no cookie")), onSessionLost: lost });
    await expect(api.get("/api/freqtrade/bots")).rejects.toMatchObject({ status: 401, code: "INVALID_TOKEN" });
    expect(calls).toHaveLength(1);
    expect(lost).toHaveBeenCalledOnce();
  });

  it("asks for one refresh however many calls wait for it", async () => {
    let resolve: (token: string) => void = () => undefined;
    const refresh = vi.fn(() => new Promise<string>((done) => (resolve = done)));
    const api = new ApiClient({ baseUrl: "", tokens: memoryTokens("t"), fetch: recordingFetch([]).fetch, refresh });
    const both = Promise.all([api.renew(), api.renew()]);
    resolve("once");
    expect(await both).toEqual(["once", "once"]);
    expect(refresh).toHaveBeenCalledOnce();
  });

  it("sends cookies only when asked and no token on public calls", async () => {
    const { fetch, calls } = recordingFetch([json(200, { accessToken: "a" })]);
    const api = new ApiClient({ baseUrl: "", tokens: memoryTokens("tok"), fetch });
    await api.post("/api/auth/refresh-token", undefined, { auth: false, credentials: true });
    expect(calls[0]?.init.credentials).toBe("include");
    expect(header(calls[0], "Authorization")).toBeUndefined();
    expect(calls[0]?.init.body).toBeUndefined();
  });
});

describe("tokenExpiry", () => {
  it("reads exp in ms, base64url or not", () => {
    expect(tokenExpiry(jwt(1_700_000_000))).toBe(1_700_000_000_000);
    expect(tokenExpiry("not-a-jwt")).toBeNull();
    expect(tokenExpiry("a.%%%.c")).toBeNull();
  });
});
