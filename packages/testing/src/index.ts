/** @kalphite/testing: public surface (being built). */
export {};
