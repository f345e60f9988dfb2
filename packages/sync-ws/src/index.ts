/** @kalphite/sync-ws: public surface (being built). */
export {};
