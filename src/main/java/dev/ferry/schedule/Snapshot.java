package dev.ferry.schedule;

import java.util.List;

/**
 * The servers a scheduler may choose from, in list order, as of one moment; immutable. The backend publishes its own
 * snapshot type, which implements this one, on every change of membership, weight or health.
 * A member's position in {@link #servers()} equals {@link Member#index()} while this snapshot is current.
 */
public interface Snapshot {
    /** No servers. */
    Snapshot EMPTY = new Snapshot() {
        @Override
        public List<? extends Member> servers() {
            return List.of();
        }

        @Override
        public long version() {
            return 0;
        }
    };

    /** The members, in list order. */
    List<? extends Member> servers();

    /** Increases with every new snapshot of the same backend. */
    long version();

    default int size() {
        return servers().size();
    }

    default Member get(int i) {
        return servers().get(i);
    }
}
