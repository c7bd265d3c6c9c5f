/** Placeholder until the page lands (issue 17). */
export function DashboardPage() {
  return <h1>Dashboard</h1>;
}
