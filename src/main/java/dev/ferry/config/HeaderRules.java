package dev.ferry.config;

import java.util.List;

/**
 * A route's {@code request_headers:} or {@code response_headers:}: fields removed, then set (every field of the name
 * replaced by one), then added (after those already there), in file order.
 *
 * @param set    {@code set: {NAME: VALUE}}
 * @param add    {@code add: {NAME: VALUE}}
 * @param remove {@code remove: [NAME...]}
 */
public record HeaderRules(List<Field> set, List<Field> add, List<String> remove) {
    public static final HeaderRules NONE = new HeaderRules(List.of(), List.of(), List.of());

    /** One field a rule writes: its name as written and its value's template. */
    public record Field(String name, ValueTemplate value) {
    }

    public HeaderRules {
        set = List.copyOf(set);
        add = List.copyOf(add);
        remove = List.copyOf(remove);
    }

    public boolean isEmpty() {
        return set.isEmpty() && add.isEmpty() && remove.isEmpty();
    }
}
