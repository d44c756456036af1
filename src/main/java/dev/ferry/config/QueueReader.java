package dev.ferry.config;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * Reads a backend's {@code queue:} and {@code allbackups:} and checks them against its servers: a queue waits only for
 * servers at their {@code max_connections}, so a backend none of whose servers sets one cannot use it (refused, as
 * {@code resolver:} without servers found by DNS is); {@code allbackups} needs a {@code backup: true} server.
 */
final class QueueReader {
    static final List<String> KEYS = List.of("size", "timeout");

    private QueueReader() {
    }

    static Optional<QueueConfig> read(YamlMap b, List<ServerConfig> servers) {
        Optional<QueueConfig> queue = b.map("queue", KEYS).map(QueueReader::queue);
        if (queue.isPresent() && !servers.isEmpty() && servers.stream().allMatch(s -> s.maxConnections() == 0)) {
            b.problem("queue", "waits only for servers at their max_connections, and no server of this backend sets "
                    + "one; give the servers max_connections (e.g. max_connections: 100) or remove queue:");
        }
        return queue;
    }

    static boolean allBackups(YamlMap b, List<ServerConfig> servers) {
        boolean all = b.bool("allbackups", false);
        if (all && servers.stream().noneMatch(ServerConfig::backup)) {
            b.problem("allbackups", "applies only to backends with backup servers (backup: true on a server)");
        }
        return all;
    }

    private static QueueConfig queue(YamlMap q) {
        int size = q.integer("size", QueueConfig.DEFAULT_SIZE, 1, QueueConfig.MAX_SIZE);
        Duration timeout = q.duration("timeout", QueueConfig.DEFAULT_TIMEOUT, QueueConfig.MIN_TIMEOUT);
        if (timeout.compareTo(QueueConfig.MAX_TIMEOUT) > 0) {
            q.problem("timeout", Durations.format(timeout) + " is too long; allowed: 1ms to "
                    + Durations.format(QueueConfig.MAX_TIMEOUT));
            timeout = QueueConfig.MAX_TIMEOUT;
        }
        return new QueueConfig(size, timeout);
    }
}
