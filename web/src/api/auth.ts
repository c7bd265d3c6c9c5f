/** The auth endpoints (contract §2.2): login, register, Google, verify, refresh, logout. */
import type { ApiClient } from "./client";

export interface User {
  id: string;
  name: string;
  email: string;
  avatar: string;
  paperBalance?: number;
  role: "user" | "admin";
  createdAt?: string | null;
  lastLogin?: string | null;
}

export interface LoginResponse {
  success: boolean;
  token: string;
  data: { user: Pick<User, "id" | "name" | "email" | "avatar"> };
}

export interface VerifyResponse {
  valid: boolean;
  user: User;
}

export function login(api: ApiClient, email: string, password: string): Promise<LoginResponse> {
  return api.post<LoginResponse>("/api/auth/login", { email, password }, { auth: false, credentials: true });
}

export function register(api: ApiClient, username: string, email: string, password: string): Promise<{ success: boolean; message: string }> {
  return api.post("/api/auth/register", { username, email, password }, { auth: false, credentials: true });
}

export function googleVerify(api: ApiClient, idToken: string): Promise<{ success: boolean }> {
  return api.post("/api/auth/google-verify", { idToken }, { auth: false, credentials: true });
}

export function verifyToken(api: ApiClient): Promise<VerifyResponse> {
  return api.get<VerifyResponse>("/api/auth/verify-token", { credentials: true });
}

/** A new access token from the refresh cookie, or null. */
export async function refreshAccessToken(api: ApiClient): Promise<string | null> {
  const answer = await api.post<{ accessToken?: unknown }>("/api/auth/refresh-token", undefined, { auth: false, credentials: true });
  return typeof answer.accessToken === "string" ? answer.accessToken : null;
}

export async function logout(api: ApiClient): Promise<void> {
  await api.post("/api/auth/logout", undefined, { auth: false, credentials: true });
}
