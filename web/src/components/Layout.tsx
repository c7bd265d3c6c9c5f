/** The frame of every signed-in page: navigation, the user, log out. */
import { useState } from "react";
import { NavLink, Outlet, useNavigate } from "react-router-dom";
import { useAuth } from "../auth/AuthContext";

const LINKS = [
  { to: "/dashboard", label: "Dashboard" },
  { to: "/bots", label: "Bots" },
  { to: "/wallet", label: "Wallet" },
  { to: "/strategies", label: "Strategies" },
];

export function Layout() {
  const { user, logout } = useAuth();
  const navigate = useNavigate();
  const [leaving, setLeaving] = useState(false);
  const links = user?.role === "admin" ? [...LINKS, { to: "/operators", label: "Operators" }] : LINKS;

  async function onLogout() {
    setLeaving(true);
    try {
      await logout();
    } finally {
      setLeaving(false);
      void navigate("/login");
    }
  }

  return (
    <div className="app">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <NavLink to="/dashboard" className="brand">
          Crypto-Pilot
        </NavLink>
        <nav aria-label="Main">
          <ul>
            {links.map((link) => (
              <li key={link.to}>
                <NavLink to={link.to}>{link.label}</NavLink>
              </li>
            ))}
          </ul>
        </nav>
        <div className="user">
          <span className="user-name" title={user?.email}>
            {user?.name || user?.email}
          </span>
          <button type="button" className="button secondary" onClick={() => void onLogout()} disabled={leaving}>
            Log out
          </button>
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        <Outlet />
      </main>
    </div>
  );
}
