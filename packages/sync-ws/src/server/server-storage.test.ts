import { serverStorageContract } from "./server-storage-contract";
import { createMemoryServerStorage } from "./server-storage";

const storage = createMemoryServerStorage();
serverStorageContract("memory", () => storage);
