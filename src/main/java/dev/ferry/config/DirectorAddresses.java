package dev.ferry.config;

import java.util.Optional;
import java.util.regex.Pattern;

/**
 * What a director needs of an address: an IPv4 literal. A director rewrites IPv4 packets to its real servers'
 * addresses and resolves no names, so a server of a backend that a director uses must be written as an IPv4
 * address. The one rule for the config reader (load time) and the admin API (servers added at run time).
 * Stateless; any thread.
 */
public final class DirectorAddresses {
    private static final Pattern IPV4 = Pattern.compile(
            "(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)(\\.(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)){3}");

    private DirectorAddresses() {
    }

    /** Whether {@code host} is a dotted-quad IPv4 literal such as {@code 10.101.0.11}. */
    public static boolean isIpv4(String host) {
        return host != null && IPV4.matcher(host).matches();
    }

    /**
     * Why server {@code server} of backend {@code backend} at {@code address} cannot take a director's packets,
     * when it cannot.
     *
     * @param address null for a server found by DNS SRV discovery
     */
    public static Optional<String> serverProblem(String server, String backend, HostPort address) {
        if (address != null && isIpv4(address.host())) {
            return Optional.empty();
        }
        return Optional.of("server '" + server + "' of backend '" + backend + "' must have an IPv4 address (the "
                + "director rewrites packets to it), not " + (address == null ? "a DNS SRV name" : address.host())
                + "; e.g. address: 10.101.0.11:80");
    }
}
