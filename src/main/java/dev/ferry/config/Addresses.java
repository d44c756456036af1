package dev.ferry.config;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.UnknownHostException;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * {@code HOST:PORT} addresses as the configuration writes them: {@code 10.0.0.11:80}, {@code backend.local:8080},
 * {@code [::1]:80} (IPv6 literals go in brackets). The one place that parses them (the file, the CLI, the admin
 * API), formats them (logs, the status API, metrics labels) and holds the director's rule that a real server be an
 * IPv4 literal. When parsing, the host must be an IPv4 literal, a bracketed IPv6 literal or a DNS name; nothing is
 * resolved here. Stateless and thread-safe.
 */
public final class Addresses {
    private static final String LABEL = "[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?";
    private static final Pattern DNS_NAME = Pattern.compile("(?=.{1,253}$)" + LABEL + "(?:\\." + LABEL + ")*\\.?");
    private static final Pattern DOTTED_NUMBERS = Pattern.compile("[0-9.]+");
    private static final Pattern IPV4 = Pattern.compile(
            "((25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\\.){3}(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])");

    private Addresses() {
    }

    /** {@code address} as the configuration writes it, e.g. {@code 127.0.0.1:80} or {@code [::1]:80}. */
    public static String format(SocketAddress address) {
        if (!(address instanceof InetSocketAddress isa)) {
            return String.valueOf(address);
        }
        String host = isa.getAddress() != null ? isa.getAddress().getHostAddress() : isa.getHostString();
        boolean v6 = isa.getAddress() instanceof Inet6Address || host.indexOf(':') >= 0;
        return (v6 ? "[" + host + "]" : host) + ":" + isa.getPort();
    }

    /** {@code host} and {@code port} as {@code HOST:PORT}, an IPv6 literal (any host with a ':') in brackets. */
    public static String format(String host, int port) {
        return host.indexOf(':') >= 0 ? "[" + host + "]:" + port : host + ":" + port;
    }

    /** Whether {@code host} is a dotted-quad IPv4 literal such as {@code 10.101.0.11}. */
    public static boolean isIpv4(String host) {
        return host != null && IPV4.matcher(host).matches();
    }

    /**
     * What a director needs of a real server's address: an IPv4 literal. A director rewrites IPv4 packets to its
     * real servers' addresses and resolves no names, so a server of a backend that a director uses must be written
     * as an IPv4 address. The one rule for the config reader (load time) and the admin API (servers added at run
     * time): why server {@code server} of backend {@code backend} at {@code address} cannot take a director's
     * packets, when it cannot.
     *
     * @param address null for a server found by DNS SRV discovery
     */
    public static Optional<String> directorServerProblem(String server, String backend, HostPort address) {
        if (address != null && isIpv4(address.host())) {
            return Optional.empty();
        }
        return Optional.of("server '" + server + "' of backend '" + backend + "' must have an IPv4 address (the "
                + "director rewrites packets to it), not " + (address == null ? "a DNS SRV name" : address.host())
                + "; e.g. address: 10.101.0.11:80");
    }

    /**
     * Parses an address to listen on; port 0 is allowed and means "any free port" (tests use it).
     *
     * @throws IllegalArgumentException when {@code text} is not a valid address; the message says what is allowed
     */
    public static HostPort parseListen(String text) {
        return parse(text, 0);
    }

    /**
     * Parses an address to connect to; the port must be 1..65535.
     *
     * @throws IllegalArgumentException when {@code text} is not a valid address; the message says what is allowed
     */
    public static HostPort parseRemote(String text) {
        return parse(text, 1);
    }

    private static HostPort parse(String text, int lowestPort) {
        String example = lowestPort == 0 ? "0.0.0.0:8080" : "10.0.0.11:80";
        String form = "write HOST:PORT, e.g. " + example + " or [::1]:80";
        String trimmed = text.strip();
        String host;
        String port;
        if (trimmed.startsWith("[")) {
            int close = trimmed.indexOf(']');
            if (close < 0 || close + 1 >= trimmed.length() || trimmed.charAt(close + 1) != ':') {
                throw new IllegalArgumentException("'" + text + "' is not an address; " + form);
            }
            host = trimmed.substring(1, close);
            port = trimmed.substring(close + 2);
            if (!isIpv6Literal(host)) {
                throw new IllegalArgumentException("'" + host + "' in '" + text + "' is not an IPv6 address; " + form);
            }
        } else {
            int colon = trimmed.lastIndexOf(':');
            if (colon < 0) {
                throw new IllegalArgumentException("'" + text + "' has no port; " + form);
            }
            host = trimmed.substring(0, colon);
            port = trimmed.substring(colon + 1);
            if (host.indexOf(':') >= 0) {
                throw new IllegalArgumentException("'" + text
                        + "' looks like an IPv6 address without brackets; write it as [" + host + "]:" + port);
            }
            if (host.isEmpty()) {
                throw new IllegalArgumentException("'" + text + "' has no host; " + form
                        + (lowestPort == 0 ? " (0.0.0.0 listens on every IPv4 address)" : ""));
            }
            if (DOTTED_NUMBERS.matcher(host).matches()) {
                if (!IPV4.matcher(host).matches()) {
                    throw new IllegalArgumentException(
                            "'" + host + "' in '" + text + "' is not an IPv4 address; " + form);
                }
            } else if (!DNS_NAME.matcher(host).matches()) {
                throw new IllegalArgumentException("'" + host + "' in '" + text
                        + "' is neither an IP address nor a host name; " + form);
            }
        }
        return new HostPort(host, port(port, text, lowestPort));
    }

    private static boolean isIpv6Literal(String host) {
        if (host.indexOf(':') < 0) {
            return false;
        }
        try {
            // With a ':' in it the JDK parses the text as an IPv6 literal and never asks DNS.
            InetAddress.getByName(host);
            return true;
        } catch (UnknownHostException e) {
            return false;
        }
    }

    private static int port(String port, String text, int lowestPort) {
        String range = lowestPort + "..65535";
        if (port.isEmpty() || port.length() > 5 || !port.chars().allMatch(c -> c >= '0' && c <= '9')) {
            throw new IllegalArgumentException("'" + port + "' in '" + text + "' is not a port; ports are " + range);
        }
        int value = Integer.parseInt(port);
        if (value < lowestPort || value > 65535) {
            throw new IllegalArgumentException(
                    "port " + value + " in '" + text + "' is out of range; ports are " + range);
        }
        return value;
    }
}
