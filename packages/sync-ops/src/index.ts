/** @kalphite/sync-ops: public surface (being built). */
export {};
