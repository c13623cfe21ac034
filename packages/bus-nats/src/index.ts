export { decodeMessage, encodeMessage } from './codec.ts';
export { type BusLogger, BusUnavailableError, hostPorts, NatsBus, type NatsBusOptions } from './nats-bus.ts';
export { NatsLeases } from './nats-leases.ts';
