/** Placeholder until the page lands (issue 17). */
export function ProvisionBotPage() {
  return <h1>New bot</h1>;
}
