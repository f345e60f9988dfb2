/**
 * `kalphite/sync-ws`: exactly the public API of `@kalphite/sync-ws`. The subpath is
 * the layer itself, so it re-exports everything rather than a list that
 * could drift from the layer's own index.
 */
export * from "@kalphite/sync-ws";
