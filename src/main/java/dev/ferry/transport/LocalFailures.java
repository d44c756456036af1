package dev.ferry.transport;

import java.util.Locale;

/**
 * Failures of this machine rather than of the peer: out of file descriptors (EMFILE, ENFILE), of socket buffers
 * (ENOBUFS), of memory (ENOMEM) or of local ports (EADDRNOTAVAIL). They say nothing about a server, so they never
 * count against one (passive health would eject healthy servers for Ferry's own limits), and trying another server
 * does not help.
 */
public final class LocalFailures {
    private static final String[] LOCAL = {"too many open files", "no buffer space available",
            "cannot allocate memory", "cannot assign requested address"};

    private LocalFailures() {
    }

    /** Whether {@code cause} (or what caused it) is a local resource failure. */
    public static boolean isLocal(Throwable cause) {
        for (Throwable t = cause; t != null; t = t.getCause() == t ? null : t.getCause()) {
            String message = t.getMessage();
            if (message != null) {
                String m = message.toLowerCase(Locale.ROOT);
                for (String local : LOCAL) {
                    if (m.contains(local)) {
                        return true;
                    }
                }
            }
        }
        return false;
    }
}
