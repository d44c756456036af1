package dev.ferry.accesslog;

/**
 * The access log frontends hold for their whole life; a reload switches where it writes. Threading: any thread.
 */
public final class SwitchableAccessLog implements AccessLog {
    private volatile AccessLog current = AccessLog.NONE;

    /** Switches to {@code next} and closes the previous log (after it wrote what it had queued). */
    public void switchTo(AccessLog next) {
        AccessLog previous = current;
        current = next;
        previous.close();
    }

    @Override
    public void log(AccessRecord record) {
        current.log(record);
    }

    @Override
    public void reopen() {
        current.reopen();
    }

    @Override
    public boolean enabled() {
        return current.enabled();
    }

    @Override
    public void close() {
        switchTo(AccessLog.NONE);
    }
}
