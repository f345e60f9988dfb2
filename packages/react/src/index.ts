/** @kalphite/react: public surface (being built). */
export {};
