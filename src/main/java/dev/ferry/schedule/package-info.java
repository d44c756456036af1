/**
 * Choosing a server: the {@link dev.ferry.schedule.Scheduler} interface, the {@link dev.ferry.schedule.PickContext}
 * every pick receives, the registry that maps configuration names to algorithms, and one class per algorithm with the
 * exact semantics of the IPVS schedulers (see {@code shared/spec/scheduling.md}).
 *
 * <p>Schedulers see a server only as a {@link dev.ferry.schedule.Member} (weight, load, overload flag, position) in a
 * {@link dev.ferry.schedule.Snapshot}; the backend package implements both, so this package depends on the
 * configuration (its options, the duration grammar) but not on the backend package.
 */
package dev.ferry.schedule;
