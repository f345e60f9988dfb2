/** @kalphite/coordinator: public surface (being built). */
export {};
