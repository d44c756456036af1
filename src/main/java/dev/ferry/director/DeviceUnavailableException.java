package dev.ferry.director;

/**
 * A director's device cannot be opened (no CAP_NET_ADMIN, no {@code /dev/net/tun}, a device of another kind by that
 * name). Its message is one line for the operator; Ferry exits 2 with it.
 */
public final class DeviceUnavailableException extends RuntimeException {
    public DeviceUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
