package dev.ferry.cluster;

/**
 * A call to etcd that failed. {@link #unreachable()} tells a failure to reach any endpoint (connection refused, time
 * out, the connection lost) from an answer etcd gave (bad credentials, a request it refused).
 */
public final class EtcdException extends Exception {
    private final boolean unreachable;

    EtcdException(String message, boolean unreachable) {
        super(message);
        this.unreachable = unreachable;
    }

    /** True when no endpoint answered: the caller should retry later. */
    public boolean unreachable() {
        return unreachable;
    }
}
