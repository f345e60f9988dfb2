import { EventEmitter } from "node:events";
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type { Duplex } from "node:stream";
import { createOperationSyncServer, type Mutator, type OperationSyncServer, type ServerSchema, type SyncStorage } from "@kalphite/sync-ops";
import { ServerError, ServerErrorCode, messageOf } from "./errors";
import type { Logger } from "./log";
import type { RoomStorageFactory } from "./room-storage";
import type { AccessControl } from "./tokens";

/** One room's operation server and its storage. */
interface OperationRoom {
  readonly name: string;
  readonly server: OperationSyncServer;
  readonly storage: SyncStorage;
  /** Where its requests are handed (`request` / `upgrade` events). */
  readonly door: EventEmitter;
}

/** Options of `OperationRooms`. */
export interface OperationRoomsOptions {
  readonly storage: RoomStorageFactory;
  readonly access: AccessControl;
  readonly mutators: Readonly<Record<string, Mutator>>;
  readonly schema: ServerSchema;
  readonly log: Logger;
  /** The real server's address, for each room server's `url`. */
  readonly address: () => ReturnType<Server["address"]>;
  /** @default 1000 */
  readonly maxOperationsPerPush?: number;
  /** Most rooms open at once; past it a new room is refused (`RoomLimitError`). @default 100 */
  readonly maxRooms?: number;
}

/** A new room was asked for while `maxRooms` rooms are open. */
export class RoomLimitError extends ServerError {
  constructor(room: string, max: number) {
    super(ServerErrorCode.RoomLimit, `room ${JSON.stringify(room)} not opened: ${max} rooms are open, the most this server opens (--max-rooms)`);
    this.name = "RoomLimitError";
  }
}

/**
 * The operation protocol, one `createOperationSyncServer` per room, each on
 * its own storage (schema). A room's server is attached to a stand-in
 * `http.Server` (an emitter that is already "listening"); the real server's
 * router hands it the requests of that room with the room prefix removed, so
 * every room speaks the unchanged paths `/sync/operations`, `/sync/state`,
 * `/sync/notify`, `/sync/events`. Rooms open on first use.
 */
export class OperationRooms {
  readonly #o: OperationRoomsOptions;
  readonly #rooms = new Map<string, Promise<OperationRoom>>();
  #closing = false;

  constructor(options: OperationRoomsOptions) {
    this.#o = options;
  }

  /** Rooms open now. */
  get size(): number {
    return this.#rooms.size;
  }

  /** Open notification connections over every room. */
  async connectionCount(): Promise<number> {
    let n = 0;
    for (const room of this.#rooms.values()) n += (await room.catch(() => undefined))?.server.connectionCount() ?? 0;
    return n;
  }

  #open(name: string): Promise<OperationRoom> {
    let room = this.#rooms.get(name);
    if (room === undefined) {
      const max = this.#o.maxRooms ?? 100;
      if (this.#rooms.size >= max) return Promise.reject(new RoomLimitError(name, max));
      room = (async () => {
        const storage = await this.#o.storage.open(name);
        const door = new EventEmitter();
        Object.assign(door, { listening: true, address: this.#o.address });
        try {
          const server = await createOperationSyncServer({
            server: door as unknown as Server,
            storage,
            mutators: this.#o.mutators,
            schema: this.#o.schema,
            maxOperationsPerPush: this.#o.maxOperationsPerPush ?? 1000,
            // The router checked the token already; checking again costs nothing and keeps the room closed if it is reached otherwise.
            ...(this.#o.access.enabled ? { authenticate: (token: string) => this.#o.access.check(token, name).ok } : {}),
            onError: (error) => this.#o.log.error("operations-error", { room: name, error: messageOf(error) }),
          });
          this.#o.log.info("room-open", { protocol: "operations", room: name, storage: storage.kind });
          return { name, server, storage, door };
        } catch (error) {
          await storage.close().catch(() => undefined);
          throw error;
        }
      })();
      room.catch(() => this.#rooms.delete(name));
      this.#rooms.set(name, room);
    }
    return room;
  }

  /** Hands an HTTP request (its `url` already without the room prefix) to `room`'s server. */
  async request(name: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const room = await this.#open(name);
    room.door.emit("request", req, res);
  }

  /** Hands a WebSocket upgrade (`/sync/notify`) to `room`'s server. */
  async upgrade(name: string, req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const room = await this.#open(name);
    room.door.emit("upgrade", req, socket, head);
  }

  /**
   * Closes every room: notification connections close (WebSocket 1001
   * "server closing", SSE streams end), pushes in flight finish and are
   * answered, then the storages close.
   */
  async close(): Promise<void> {
    if (this.#closing) return;
    this.#closing = true;
    const rooms = await Promise.all([...this.#rooms.values()].map((room) => room.catch(() => undefined)));
    await Promise.all(
      rooms.map(async (room) => {
        if (!room) return;
        await room.server.close();
        await room.storage.close().catch((error: unknown) => this.#o.log.error("storage-close-failed", { room: room.name, error: messageOf(error) }));
      }),
    );
  }
}
