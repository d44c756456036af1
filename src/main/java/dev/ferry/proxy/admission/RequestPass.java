package dev.ferry.proxy.admission;

/**
 * What the admission of one HTTP request left behind: the concurrency slots it holds (released once, when the
 * request ends), or why it was refused (status, Retry-After, a one-line reason).
 *
 * <p>Threading: made and used on the request's event loop.
 */
public final class RequestPass {
    private RateLimiter firstLimiter;
    private KeyTable.Entry first;
    private RateLimiter secondLimiter;
    private KeyTable.Entry second;
    private int status;
    private long retryAfterSeconds;
    private String detail;

    void hold(RateLimiter limiter, KeyTable.Entry slot) {
        if (first == null) {
            firstLimiter = limiter;
            first = slot;
        } else {
            secondLimiter = limiter;
            second = slot;
        }
    }

    void refuse(int status, long retryAfterSeconds, String detail) {
        this.status = status;
        this.retryAfterSeconds = retryAfterSeconds;
        this.detail = detail;
    }

    /** The status to answer with (403, 429 or the rule's), once refused. */
    public int status() {
        return status;
    }

    /** Seconds for Retry-After; 0 when the refusal has none (403). */
    public long retryAfterSeconds() {
        return retryAfterSeconds;
    }

    public String detail() {
        return detail;
    }

    /** The request ended: its slots go back. Idempotent. */
    public void release(long now) {
        if (first != null) {
            firstLimiter.releaseRequest(first, now);
            first = null;
        }
        if (second != null) {
            secondLimiter.releaseRequest(second, now);
            second = null;
        }
    }
}
