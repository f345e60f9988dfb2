import { createTestDatabase, testPostgresUrl } from "../test-support/postgres";
import { runSyncStorageContract } from "./storage-contract";
import { createPostgresSyncStorage } from "./postgres-storage";

const adminUrl = testPostgresUrl();

runSyncStorageContract(() => {
  if (adminUrl === undefined) return undefined;
  let db: Awaited<ReturnType<typeof createTestDatabase>> | undefined;
  const url = async () => (db ??= await createTestDatabase(adminUrl)).url;
  return {
    name: "PostgreSQL (node-postgres)",
    create: async () => createPostgresSyncStorage({ connectionString: await url() }),
    createPeer: async () => createPostgresSyncStorage({ connectionString: await url() }),
    dispose: async () => db?.drop(),
  };
});
