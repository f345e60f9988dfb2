import { runSyncStorageContract } from "./storage-contract";
import { createPGliteSyncStorage } from "./pglite-storage";

runSyncStorageContract({ name: "PGlite (memory)", create: () => createPGliteSyncStorage() });
