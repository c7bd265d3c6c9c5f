/** Placeholder until the page lands (issue 17). */
export function BotDetailPage() {
  return <h1>Bot</h1>;
}
