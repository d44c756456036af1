package dev.ferry.config;

/**
 * How a server entry is found by DNS (key {@code resolve: true} with an {@code address}, or {@code srv}). The entry
 * stands for as many servers as the answer lists, each named {@code <entry name>@<ip>:<port>}.
 *
 * @param kind what is asked: the address's host name (A and AAAA), or an SRV name
 * @param name the domain name asked, lower case, without the final dot
 * @param port {@link Kind#ADDRESS}: the port of every address; {@link Kind#SRV}: 0 (each record has its port)
 */
public record ServerDiscovery(Kind kind, String name, int port) {
    /** What the name is asked for. */
    public enum Kind {
        /** A and AAAA records; the configured port and weight apply to every address. */
        ADDRESS,
        /** SRV records, then the targets' A and AAAA; ports, weights and priorities come from the SRV records. */
        SRV
    }
}
