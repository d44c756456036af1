package dev.ferry.config;

import java.time.Duration;

/**
 * {@code persistence:} of a tcp or udp frontend, as IPVS's {@code ipvsadm -p TIMEOUT -M NETMASK}: every new
 * connection (udp: session) of clients whose addresses agree under the netmask goes to the server the first of them
 * got, while that client group's template lives: as long as it has connections and for {@code timeout} after the
 * last of them ended. Immutable.
 *
 * <p>Not the director's {@link DirectorServiceConfig.Persistence}: that one is IPv4 only (a mask as an int), a
 * frontend also takes IPv6 clients, so the masks are prefix lengths, one per family.
 *
 * @param timeout  how long a template outlives its last connection
 * @param netmask  IPv4 clients: the prefix length that groups them (32: each address on its own)
 * @param netmask6 IPv6 clients: the prefix length that groups them (128: each address on its own)
 */
public record PersistenceConfig(Duration timeout, int netmask, int netmask6) {
    /** {@code ipvsadm -p}'s default timeout. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(300);
    public static final int DEFAULT_NETMASK = 32;
    public static final int DEFAULT_NETMASK6 = 128;
}
