/** @kalphite/react: React hooks on `useSyncExternalStore` for Kalphite stores, live views, entities, collections and transactions. */
export { useKalphiteStore } from "./use-kalphite-store";
export type { SubscribableStore } from "./store-version";
export { useLiveQuery, UNCOMMITTED_VIEW_TIMEOUT_MS } from "./use-live-query";
export type { LiveViewLike } from "./use-live-query";
export { useEntity } from "./use-entity";
export type { EntityStore } from "./use-entity";
export { useCollection } from "./use-collection";
export type { UseCollectionOptions, UseCollectionResult } from "./use-collection";
export { useTransactions } from "./use-transactions";
export { ReactBindingError, ReactBindingErrorCode } from "./errors";
