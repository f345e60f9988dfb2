// Replaced by the serving script (`pnpm web`, the tests) with window.KALPHITE_CONFIG = { server: "…" }.
// Without it the page talks to a server on its own origin, or to ?server=… in its URL.
