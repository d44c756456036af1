/**
 * Choosing a server: the {@link dev.ferry.schedule.Scheduler} interface, the {@link dev.ferry.schedule.PickContext}
 * every pick receives, the registry that maps configuration names to algorithms, and one class per algorithm with the
 * exact semantics of the IPVS schedulers (see {@code shared/spec/scheduling.md}).
 */
package dev.ferry.schedule;
