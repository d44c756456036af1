/**
 * The layer-3 director: packets forwarded the LVS way over a TUN device, with IPVS's connection table and TCP
 * states. {@link dev.ferry.director.NatPipeline} is VS/NAT; {@code device} reads and writes packets
 * (FFM calls to the kernel), {@code packet} parses and rewrites them in place, {@code table} tracks connections.
 */
package dev.ferry.director;
