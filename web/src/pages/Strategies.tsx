/** Placeholder until the page lands (issue 17). */
export function StrategiesPage() {
  return <h1>Strategies</h1>;
}
