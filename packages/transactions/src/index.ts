/** @kalphite/transactions: public surface (being built). */
export {};
