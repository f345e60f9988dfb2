import { createMemoryStorage } from "./memory-storage";
import { recoverySuite } from "./recovery-suite";
import { storageContract } from "./storage-contract";

storageContract("memory", () => createMemoryStorage());
const shared = createMemoryStorage();
recoverySuite("memory", async () => shared);
