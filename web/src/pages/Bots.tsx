/** Placeholder until the page lands (issue 17). */
export function BotsPage() {
  return <h1>Bots</h1>;
}
