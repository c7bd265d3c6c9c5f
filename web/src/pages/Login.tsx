/** Log in with e-mail and password, or with Google through Firebase. */
import { useState, type SyntheticEvent } from "react";
import { Link, Navigate, useLocation, useNavigate } from "react-router-dom";
import { messageOf } from "../api/client";
import { useAuth } from "../auth/AuthContext";
import { Field } from "../components/Field";
import { Notice } from "../components/States";

export function LoginPage() {
  const { status, login, loginWithGoogle } = useAuth();
  const navigate = useNavigate();
  const location = useLocation();
  const state = location.state as { from?: string; registered?: string } | null;
  const [email, setEmail] = useState(state?.registered ?? "");
  const [password, setPassword] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  if (status === "signedIn") return <Navigate to={state?.from ?? "/dashboard"} replace />;

  async function run(action: () => Promise<void>) {
    setBusy(true);
    setError(null);
    try {
      await action();
      void navigate(state?.from ?? "/dashboard", { replace: true });
    } catch (reason) {
      setError(messageOf(reason));
    } finally {
      setBusy(false);
    }
  }

  function onSubmit(event: SyntheticEvent<HTMLFormElement>) {
    event.preventDefault();
    void run(() => login(email.trim(), password));
  }

  return (
    <main className="auth-page" id="main">
      <section className="card auth-card" aria-labelledby="login-title">
        <h1 id="login-title">Log in to Crypto-Pilot</h1>
        {state?.registered && <Notice kind="success">Registration successful: log in with your new account.</Notice>}
        <form onSubmit={onSubmit} noValidate>
          <Field label="E-mail" type="email" autoComplete="email" required value={email} onChange={(e) => setEmail(e.target.value)} />
          <Field label="Password" type="password" autoComplete="current-password" required value={password} onChange={(e) => setPassword(e.target.value)} />
          {error && (
            <Notice kind="error">
              {error}
              {/User does not exist|sign up/i.test(error) && (
                <>
                  {" "}
                  <Link to="/signup">Sign up instead</Link>
                </>
              )}
            </Notice>
          )}
          <button type="submit" className="button primary" disabled={busy || !email || !password}>
            {busy ? "Logging in…" : "Log in"}
          </button>
        </form>
        <div className="divider" aria-hidden="true">
          or
        </div>
        <button type="button" className="button secondary wide" onClick={() => void run(loginWithGoogle)} disabled={busy}>
          Continue with Google
        </button>
        <p>
          New here? <Link to="/signup">Create an account</Link>
        </p>
      </section>
    </main>
  );
}
