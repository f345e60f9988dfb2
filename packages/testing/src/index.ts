/** @kalphite/testing: a deterministic simulator of Kalphite clients and a server under faults. */
export { TestingError, TestingErrorCode } from "./errors";
export { SimulationFailure, simulate } from "./simulate";
export type { SimulationFaults, SimulationMutator, SimulationOptions, SimulationReport } from "./simulate";
export type { SimScenario, SimStep } from "./scenario";
export type { RunStats } from "./world";
export { SimClock } from "./sim-clock";
export type { TimerGroup } from "./sim-clock";
export { InProcessHttpServer, SimulatedNetwork } from "./sim-network";
export type { NetworkFaults, NetworkStats, ServerEndpoint } from "./sim-network";
export { SimulatedClientDisk } from "./sim-operation-storage";
export type { SimulatedClientDiskOptions } from "./sim-operation-storage";
export { SimulatedServerDisk } from "./sim-sync-storage";
export type { AppliedOperation } from "./sim-sync-storage";
export { createRandom } from "./random";
export type { Random } from "./random";
