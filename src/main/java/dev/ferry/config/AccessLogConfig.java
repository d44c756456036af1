package dev.ferry.config;

import java.nio.file.Path;
import java.util.Optional;

/**
 * {@code access_log:} one line per TCP connection (and, at layer 7, per HTTP request), written off the event loops.
 *
 * @param path   the file to append to; empty = standard output (key {@code path}, {@code stdout} or a file name)
 * @param format {@code text} (one readable line) or {@code json} (one JSON object per line)
 */
public record AccessLogConfig(Optional<Path> path, Format format) {
    public enum Format { TEXT, JSON }
}
