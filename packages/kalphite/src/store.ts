/**
 * `kalphite/store`: exactly the public API of `@kalphite/store`. The subpath is
 * the layer itself, so it re-exports everything rather than a list that
 * could drift from the layer's own index.
 */
export * from "@kalphite/store";
