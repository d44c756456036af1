package dev.ferry.director.device;

import java.io.IOException;

/** A system call that failed, with its errno and the C library's words for it. */
public final class ErrnoException extends IOException {
    public static final int EPERM = 1;
    public static final int ENOENT = 2;
    public static final int EACCES = 13;
    public static final int EBUSY = 16;
    public static final int EINVAL = 22;

    private final int errno;

    ErrnoException(String what, int errno) {
        super(what + ": " + Libc.strerror(errno) + hint(errno));
        this.errno = errno;
    }

    /** A failure whose missing privilege, should it be one, is {@code capability} (e.g. CAP_NET_RAW). */
    ErrnoException(String what, int errno, String capability) {
        super(what + ": " + Libc.strerror(errno) + (errno == EPERM || errno == EACCES
                ? " (this needs " + capability + ": run as root or grant the capability)" : hint(errno)));
        this.errno = errno;
    }

    private ErrnoException(int errno, String message) {
        super(message);
        this.errno = errno;
    }

    /** A failure explained by {@code hint} (appended to the C library's words) instead of the director's usual. */
    static ErrnoException withHint(String what, int errno, String hint) {
        return new ErrnoException(errno, what + ": " + Libc.strerror(errno) + hint);
    }

    public int errno() {
        return errno;
    }

    /** Whether the failure means missing privileges (EPERM, EACCES). */
    public boolean isPermission() {
        return errno == EPERM || errno == EACCES;
    }

    private static String hint(int errno) {
        return switch (errno) {
            case EPERM, EACCES -> " (the director needs CAP_NET_ADMIN: run Ferry as root or grant the capability)";
            case ENOENT -> " (no /dev/net/tun: load the tun module or give the container the device)";
            default -> "";
        };
    }
}
