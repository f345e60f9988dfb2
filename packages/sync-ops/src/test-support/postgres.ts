import pg from "pg";

/**
 * The test PostgreSQL: `KALPHITE_TEST_POSTGRES_URL` (a superuser URL). When it
 * is unset, tests skip, except under `CI=true`, where this throws.
 */
export function testPostgresUrl(): string | undefined {
  const url = process.env.KALPHITE_TEST_POSTGRES_URL;
  if (url) return url;
  if (process.env.CI === "true") {
    throw new Error("KALPHITE_TEST_POSTGRES_URL is not set under CI=true: the PostgreSQL storage tests must run in CI (see scripts/test-postgres.sh)");
  }
  return undefined;
}

/** Creates a database of its own for one test file; `drop()` removes it. */
export async function createTestDatabase(adminUrl: string): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `kalphite_syncops_${process.pid}_${Math.random().toString(36).slice(2, 10)}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`);
  } finally {
    await admin.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const client = new pg.Client({ connectionString: adminUrl });
      await client.connect();
      try {
        await client.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(name)} WITH (FORCE)`);
      } finally {
        await client.end();
      }
    },
  };
}
