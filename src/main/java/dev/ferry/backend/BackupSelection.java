package dev.ferry.backend;

import java.util.ArrayList;
import java.util.List;

/**
 * Which servers of a backend are offered to its scheduler, with {@code backup: true} servers (HAProxy's {@code backup}
 * and {@code option allbackups}): while some primary server is usable (a member: healthy, not ejected, not in
 * maintenance; and an effective weight above 0, so not draining, not quiesced), only primaries are; once none is,
 * the first usable backup in list order is, or every usable backup with {@code allbackups}. Primaries that are
 * members with weight 0 (draining) stay in the snapshot either way: they take no new connections, and whatever keeps
 * clients on a draining server still finds it. Backups that are not usable are left out until they are.
 *
 * <p>HAProxy does the same with weight 0: a primary whose weight is 0 is not usable ({@code srv_currently_usable}),
 * so primaries that are all quiesced or draining hand the traffic to the backups.
 *
 * <p>Threading: pure; called by {@link Backend} under its lock, after the effective weights were set.
 */
final class BackupSelection {
    private BackupSelection() {
    }

    /** The members of the next snapshot, in list order. */
    static List<Server> members(List<Server> servers, boolean allBackups) {
        boolean primaryUsable = false;
        boolean anyBackup = false;
        for (Server s : servers) {
            anyBackup |= s.backup();
            primaryUsable |= !s.backup() && usable(s);
        }
        List<Server> members = new ArrayList<>(servers.size());
        Server firstBackup = null;
        if (anyBackup && !primaryUsable && !allBackups) {
            firstBackup = servers.stream().filter(s -> s.backup() && usable(s)).findFirst().orElse(null);
        }
        for (Server s : servers) {
            if (!s.isMember()) {
                continue;
            }
            if (!s.backup()) {
                members.add(s);
            } else if (!primaryUsable && usable(s) && (allBackups || s == firstBackup)) {
                members.add(s);
            }
        }
        return members;
    }

    /** Whether the server can take new connections as far as membership and weight go (not its load). */
    static boolean usable(Server s) {
        return s.isMember() && s.weight() > 0;
    }
}
