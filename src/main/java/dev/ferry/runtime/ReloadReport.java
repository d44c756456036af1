package dev.ferry.runtime;

import java.util.ArrayList;
import java.util.List;

/**
 * What a hot reload changed, one line per frontend, backend or the DNS responder that changed (what stayed the same
 * is not mentioned), for the log and the admin API; e.g. {@code backend pool: updated (scheduler wrr -> rr, server
 * c added at 10.0.0.3:80)}, {@code frontend web: updated (route 2: backend api -> api2)}.
 */
public final class ReloadReport {
    private final List<String> changes = new ArrayList<>();

    void add(String change) {
        changes.add(change);
    }

    public List<String> changes() {
        return List.copyOf(changes);
    }

    @Override
    public String toString() {
        return changes.isEmpty() ? "nothing changed" : String.join("; ", changes);
    }
}
