package dev.ferry.config;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.regex.Pattern;

/**
 * Parses {@code HOST:PORT} addresses as the configuration writes them: {@code 10.0.0.11:80},
 * {@code backend.local:8080}, {@code [::1]:80} (IPv6 literals go in brackets). The host must be an IPv4 literal, a
 * bracketed IPv6 literal or a DNS name; nothing is resolved here. Stateless and thread-safe.
 */
public final class Addresses {
    private static final String LABEL = "[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?";
    private static final Pattern DNS_NAME = Pattern.compile("(?=.{1,253}$)" + LABEL + "(?:\\." + LABEL + ")*\\.?");
    private static final Pattern DOTTED_NUMBERS = Pattern.compile("[0-9.]+");
    private static final Pattern IPV4 = Pattern.compile(
            "((25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\\.){3}(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])");

    private Addresses() {
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
