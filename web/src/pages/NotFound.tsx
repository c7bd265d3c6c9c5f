/** Any path the app does not know. */
import { Link } from "react-router-dom";

export function NotFoundPage() {
  return (
    <section className="state state-empty">
      <h1>Page not found</h1>
      <Link to="/dashboard">Back to the dashboard</Link>
    </section>
  );
}
