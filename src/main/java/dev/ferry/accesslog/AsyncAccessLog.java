package dev.ferry.accesslog;

import dev.ferry.config.AccessLogConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

/**
 * Writes records on a background thread. Event loops only offer a record to a bounded queue; when the queue is full
 * (the disk cannot keep up) the record is dropped and counted rather than slowing the proxy, and the count is logged.
 *
 * <p>Threading: {@link #log(AccessRecord)} from any thread, never blocks; one writer thread formats and writes,
 * flushing whenever the queue runs empty.
 */
public final class AsyncAccessLog implements AccessLog {
    private static final Logger log = LoggerFactory.getLogger(AsyncAccessLog.class);
    static final int CAPACITY = 65_536;
    /** Queued by {@link #reopen()} to wake the writer; never written. */
    private static final AccessRecord WAKE = new AccessRecord(0, "", "", "", "", 0, "", 0, 0, 0, 0, "", "");

    private final AccessLogConfig config;
    private final BlockingQueue<AccessRecord> queue = new ArrayBlockingQueue<>(CAPACITY);
    private final LongAdder dropped = new LongAdder();
    /** The file being written; replaced only by the writer thread (on reopen), closed after it ended. */
    private volatile Writer out;
    private final java.util.concurrent.atomic.AtomicBoolean reopenAsked = new java.util.concurrent.atomic.AtomicBoolean();
    private final Thread writer;
    private volatile boolean closing;

    private AsyncAccessLog(AccessLogConfig config, Writer out) {
        this.config = config;
        this.out = out;
        this.writer = Thread.ofPlatform().name("ferry-access-log").daemon(true).start(this::drain);
    }

    /**
     * Why {@link #open} would fail for {@code config}, found without creating or opening anything (for
     * {@code ferry validate}): a missing directory, a directory in the file's place, no permission to write.
     *
     * @return a sentence naming the file, or empty when it can be opened for appending as far as can be told
     */
    public static Optional<String> problem(AccessLogConfig config) {
        if (config.path().isEmpty()) {
            return Optional.empty();
        }
        Path file = config.path().get().toAbsolutePath();
        Path dir = file.getParent();
        String cannot = "cannot open " + config.path().get() + " for appending: ";
        if (Files.isDirectory(file)) {
            return Optional.of(cannot + "it is a directory");
        }
        if (dir != null && !Files.isDirectory(dir)) {
            return Optional.of(cannot + "the directory " + dir + (Files.exists(dir) ? " is not a directory"
                    : " does not exist") + " (create it, or write another path)");
        }
        if (Files.exists(file) ? !Files.isWritable(file) : dir != null && !Files.isWritable(dir)) {
            return Optional.of(cannot + "permission denied (Ferry runs as " + System.getProperty("user.name") + ")");
        }
        return Optional.empty();
    }

    /** Opens the configured file for appending (or standard output). */
    public static AsyncAccessLog open(AccessLogConfig config) throws IOException {
        return new AsyncAccessLog(config, writer(config));
    }

    private static Writer writer(AccessLogConfig config) throws IOException {
        return config.path().isPresent()
                ? Files.newBufferedWriter(config.path().get(), StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                StandardOpenOption.APPEND, StandardOpenOption.WRITE)
                : new BufferedWriter(new OutputStreamWriter(System.out, StandardCharsets.UTF_8));
    }

    /** Asks the writer thread to reopen the file by its name (SIGUSR1, reload); standard output stays as it is. */
    @Override
    public void reopen() {
        if (config.path().isPresent()) {
            reopenAsked.set(true);
            // Wakes the writer now (no interrupt: that would close the file channel under a write). When the queue
            // is full the writer is busy anyway and sees the request after this batch.
            queue.offer(WAKE);
        }
    }

    /** On the writer thread: flushes and closes the file, opens it again by name; on failure keeps the old one. */
    private void reopenNow() {
        Path path = config.path().orElseThrow();
        try {
            Writer next = writer(config);
            Writer previous = out;
            out = next;
            try {
                previous.close();
            } catch (IOException e) {
                log.warn("access log: cannot close the previous {}: {}", path, e.getMessage());
            }
            log.info("access log: reopened {}", path);
        } catch (IOException e) {
            log.warn("access log: cannot reopen {} ({}); writing on to the file already open", path,
                    e.getMessage());
        }
    }

    @Override
    public void log(AccessRecord record) {
        if (!queue.offer(record)) {
            dropped.increment();
        }
    }

    /** Records thrown away because the queue was full. */
    public long dropped() {
        return dropped.sum();
    }

    private void drain() {
        List<AccessRecord> batch = new ArrayList<>(1024);
        long reportedDrops = 0;
        while (!closing || !queue.isEmpty()) {
            try {
                if (reopenAsked.getAndSet(false)) {
                    reopenNow();
                }
                AccessRecord first = queue.poll(200, TimeUnit.MILLISECONDS);
                if (first == null) {
                    continue;
                }
                batch.add(first);
                queue.drainTo(batch, 1023);
                for (AccessRecord r : batch) {
                    if (r == WAKE) {
                        continue;
                    }
                    out.write(AccessLogFormat.format(r, config.format()));
                    out.write('\n');
                }
                batch.clear();
                if (queue.isEmpty()) {
                    out.flush();
                }
                long drops = dropped.sum();
                if (drops > reportedDrops) {
                    log.warn("access log: {} record(s) dropped because writing could not keep up", drops - reportedDrops);
                    reportedDrops = drops;
                }
            } catch (InterruptedException e) {
                closing = true;
            } catch (IOException e) {
                log.warn("access log: cannot write: {}", e.getMessage());
                batch.clear();
            }
        }
    }

    /** Writes what is queued, then closes the file. */
    @Override
    public void close() {
        closing = true;
        try {
            writer.join(TimeUnit.SECONDS.toMillis(5));
            out.flush();
            if (config.path().isPresent()) {
                out.close();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (IOException e) {
            log.warn("access log: cannot close: {}", e.getMessage());
        }
    }
}
