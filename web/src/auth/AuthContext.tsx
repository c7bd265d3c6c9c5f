/** The signed-in user for the whole app: log in, sign up, Google, log out, survive a reload. */
import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from "react";
import * as authApi from "../api/auth";
import type { User } from "../api/auth";
import { localTokenStore } from "../api/client";
import { identify, resetAnalytics } from "../lib/analytics";
import { signInWithGoogle, signOutOfFirebase } from "./firebase";
import { api, onSessionLost, setSessionKind } from "./session";

export type AuthStatus = "loading" | "signedOut" | "signedIn";

export interface AuthState {
  status: AuthStatus;
  user: User | null;
  login: (email: string, password: string) => Promise<void>;
  register: (username: string, email: string, password: string) => Promise<void>;
  loginWithGoogle: () => Promise<void>;
  logout: () => Promise<void>;
}

const AuthContext = createContext<AuthState | null>(null);

export function AuthProvider({ children }: { children: ReactNode }) {
  const [status, setStatus] = useState<AuthStatus>(() => (localTokenStore.get() ? "loading" : "signedOut"));
  const [user, setUser] = useState<User | null>(null);

  const signedOut = useCallback(() => {
    localTokenStore.set(null);
    setSessionKind(null);
    setUser(null);
    setStatus("signedOut");
  }, []);

  const signedIn = useCallback((answer: authApi.VerifyResponse) => {
    if (!answer.valid) throw new Error("Your session has ended");
    setUser(answer.user);
    setStatus("signedIn");
    identify(answer.user.id);
  }, []);

  const loadUser = useCallback(async () => signedIn(await authApi.verifyToken(api)), [signedIn]);

  useEffect(() => {
    const unsubscribe = onSessionLost(signedOut);
    // A token kept from an earlier visit: the session survives a reload if it is still valid.
    if (localTokenStore.get()) authApi.verifyToken(api).then(signedIn).catch(signedOut);
    return unsubscribe;
  }, [signedIn, signedOut]);

  const login = useCallback(
    async (email: string, password: string) => {
      localTokenStore.set(null);
      const answer = await authApi.login(api, email, password);
      localTokenStore.set(answer.token);
      setSessionKind("jwt");
      await loadUser();
    },
    [loadUser],
  );

  const register = useCallback(async (username: string, email: string, password: string) => {
    await authApi.register(api, username, email, password);
  }, []);

  const loginWithGoogle = useCallback(async () => {
    const idToken = await signInWithGoogle();
    await authApi.googleVerify(api, idToken);
    localTokenStore.set(idToken);
    setSessionKind("firebase");
    await loadUser();
  }, [loadUser]);

  const logout = useCallback(async () => {
    try {
      await authApi.logout(api);
    } finally {
      await signOutOfFirebase().catch(() => undefined);
      resetAnalytics();
      signedOut();
    }
  }, [signedOut]);

  const value = useMemo(
    () => ({ status, user, login, register, loginWithGoogle, logout }),
    [status, user, login, register, loginWithGoogle, logout],
  );
  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}

export function useAuth(): AuthState {
  const state = useContext(AuthContext);
  if (!state) throw new Error("useAuth outside <AuthProvider>");
  return state;
}
