/**
 * Servers and backends at run time: a {@link dev.ferry.backend.Server} carries its live counters (active and inactive
 * connections, totals, bytes, failures) and the IPVS overload flag; a {@link dev.ferry.backend.Backend} owns its
 * servers, publishes an immutable {@link dev.ferry.backend.BackendSnapshot} on every change and hands it to its
 * scheduler. A server is a {@link dev.ferry.schedule.Member} and a snapshot a {@link dev.ferry.schedule.Snapshot}:
 * this package uses the schedulers, never the other way round. {@link dev.ferry.backend.BackupSelection} decides
 * which servers a snapshot offers when some are {@code backup: true}; a {@link dev.ferry.backend.BackendQueue} holds
 * the requests and connections that wait while every server is at its {@code max_connections}.
 */
package dev.ferry.backend;
