/**
 * Hash keys, kept apart from selection (architecture rule 5): extractors turn what is known about a connection or
 * request (client address, URI, a header, a cookie) into the 64-bit {@link dev.ferry.schedule.PickContext#hashKey()}
 * that hashing schedulers consume. {@link dev.ferry.schedule.hash.HashKeys#parse(String)} maps a backend's
 * {@code hash_key} setting to an extractor; {@link dev.ferry.schedule.hash.Hash64} is the shared well-mixed hash and
 * {@link dev.ferry.schedule.hash.AddressKeys} the IPVS-compatible address folds.
 */
package dev.ferry.schedule.hash;
