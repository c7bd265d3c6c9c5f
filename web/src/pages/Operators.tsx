/** Placeholder until the page lands (issue 17). */
export function OperatorsPage() {
  return <h1>Operators</h1>;
}
