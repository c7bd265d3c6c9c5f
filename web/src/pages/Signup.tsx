/** Create an e-mail account (contract A2), then log in with it. */
import { useState, type SyntheticEvent } from "react";
import { Link, Navigate, useNavigate } from "react-router-dom";
import { ApiError, messageOf } from "../api/client";
import { useAuth } from "../auth/AuthContext";
import { Field } from "../components/Field";
import { Notice } from "../components/States";

interface Problems {
  username?: string;
  email?: string;
  password?: string;
}

function check(username: string, email: string, password: string): Problems {
  const problems: Problems = {};
  if (username.trim().length < 3) problems.username = "At least 3 characters";
  if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(email.trim())) problems.email = "An e-mail address such as you@example.com";
  if (password.length < 6) problems.password = "At least 6 characters";
  return problems;
}

export function SignupPage() {
  const { status, register } = useAuth();
  const navigate = useNavigate();
  const [username, setUsername] = useState("");
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [problems, setProblems] = useState<Problems>({});
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  if (status === "signedIn") return <Navigate to="/dashboard" replace />;

  async function onSubmit(event: SyntheticEvent<HTMLFormElement>) {
    event.preventDefault();
    const found = check(username, email, password);
    setProblems(found);
    if (Object.keys(found).length) return;
    setBusy(true);
    setError(null);
    try {
      await register(username.trim(), email.trim(), password);
      void navigate("/login", { state: { registered: email.trim() } });
    } catch (reason) {
      if (reason instanceof ApiError && reason.field && reason.field in { username: 1, email: 1, password: 1 }) {
        setProblems({ [reason.field]: reason.message });
      } else {
        setError(messageOf(reason));
      }
    } finally {
      setBusy(false);
    }
  }

  return (
    <main className="auth-page" id="main">
      <section className="card auth-card" aria-labelledby="signup-title">
        <h1 id="signup-title">Create your account</h1>
        <p className="muted">Paper money only: every new account starts with a paper wallet.</p>
        <form onSubmit={(event) => void onSubmit(event)} noValidate>
          <Field label="Username" autoComplete="username" value={username} error={problems.username} onChange={(e) => setUsername(e.target.value)} />
          <Field label="E-mail" type="email" autoComplete="email" value={email} error={problems.email} onChange={(e) => setEmail(e.target.value)} />
          <Field label="Password" type="password" autoComplete="new-password" value={password} error={problems.password} hint="At least 6 characters" onChange={(e) => setPassword(e.target.value)} />
          {error && <Notice kind="error">{error}</Notice>}
          <button type="submit" className="button primary" disabled={busy}>
            {busy ? "Creating…" : "Sign up"}
          </button>
        </form>
        <p>
          Already registered? <Link to="/login">Log in</Link>
        </p>
      </section>
    </main>
  );
}
