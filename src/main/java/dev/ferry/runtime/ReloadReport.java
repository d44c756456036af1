package dev.ferry.runtime;

import java.util.ArrayList;
import java.util.List;

/** What a hot reload changed, one line per frontend or backend, for the log and the admin API. */
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
