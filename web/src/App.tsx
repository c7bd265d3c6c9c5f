/** The routes of the app. */
import { useEffect } from "react";
import { BrowserRouter, Navigate, Route, Routes, useLocation } from "react-router-dom";
import { AuthProvider } from "./auth/AuthContext";
import { Layout } from "./components/Layout";
import { RequireAuth } from "./components/RequireAuth";
import { capturePageview } from "./lib/analytics";
import { BotDetailPage } from "./pages/BotDetail";
import { BotsPage } from "./pages/Bots";
import { DashboardPage } from "./pages/Dashboard";
import { LoginPage } from "./pages/Login";
import { NotFoundPage } from "./pages/NotFound";
import { OperatorsPage } from "./pages/Operators";
import { ProvisionBotPage } from "./pages/ProvisionBot";
import { SignupPage } from "./pages/Signup";
import { StrategiesPage } from "./pages/Strategies";
import { WalletPage } from "./pages/Wallet";

function Pageviews() {
  const location = useLocation();
  useEffect(() => capturePageview(location.pathname), [location.pathname]);
  return null;
}

export function App() {
  return (
    <BrowserRouter>
      <AuthProvider>
        <Pageviews />
        <Routes>
          <Route path="/login" element={<LoginPage />} />
          <Route path="/signup" element={<SignupPage />} />
          <Route
            element={
              <RequireAuth>
                <Layout />
              </RequireAuth>
            }
          >
            <Route path="/dashboard" element={<DashboardPage />} />
            <Route path="/bots" element={<BotsPage />} />
            <Route path="/bots/new" element={<ProvisionBotPage />} />
            <Route path="/bots/:botId" element={<BotDetailPage />} />
            <Route path="/wallet" element={<WalletPage />} />
            <Route path="/strategies" element={<StrategiesPage />} />
            <Route
              path="/operators"
              element={
                <RequireAuth admin>
                  <OperatorsPage />
                </RequireAuth>
              }
            />
            <Route path="*" element={<NotFoundPage />} />
          </Route>
          <Route path="/" element={<Navigate to="/dashboard" replace />} />
        </Routes>
      </AuthProvider>
    </BrowserRouter>
  );
}
