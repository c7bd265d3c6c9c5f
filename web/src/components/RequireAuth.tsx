/** Routes behind a sign-in (and optionally the admin role). */
import type { ReactNode } from "react";
import { Navigate, useLocation } from "react-router-dom";
import { useAuth } from "../auth/AuthContext";
import { EmptyState, Loading } from "./States";

export function RequireAuth({ children, admin = false }: { children: ReactNode; admin?: boolean }) {
  const { status, user } = useAuth();
  const location = useLocation();
  if (status === "loading") return <Loading label="Checking your session…" />;
  if (status === "signedOut" || !user) return <Navigate to="/login" replace state={{ from: location.pathname }} />;
  if (admin && user.role !== "admin") {
    return <EmptyState title="Operators only">This page needs the admin role.</EmptyState>;
  }
  return <>{children}</>;
}
