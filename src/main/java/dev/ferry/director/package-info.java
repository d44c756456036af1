/**
 * The layer-3 director: packets forwarded the LVS way over a TUN device, with IPVS's connection table and TCP
 * states. {@link dev.ferry.director.NatPipeline} is VS/NAT and VS/TUN (IPIP, {@link dev.ferry.director.packet.Ipip},
 * from the address {@link dev.ferry.director.TunnelRoutes} gives); {@link dev.ferry.director.Decap} is a real
 * server's user-space IPIP decapsulator ({@code ferry decap}); {@code device} reads and writes packets
 * (FFM calls to the kernel), {@code packet} parses and rewrites them in place, {@code table} tracks connections.
 */
package dev.ferry.director;
