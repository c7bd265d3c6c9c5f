/** Placeholder until the page lands (issue 17). */
export function WalletPage() {
  return <h1>Wallet</h1>;
}
