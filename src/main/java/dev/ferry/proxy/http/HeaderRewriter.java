package dev.ferry.proxy.http;

import dev.ferry.config.HeaderRules;

import java.util.List;

/**
 * A route's {@code request_headers:} or {@code response_headers:} compiled: removes, then sets, then adds fields on a
 * protocol-neutral head ({@link HeaderFields}, so HTTP/1 and HTTP/2 alike). The names that frame a message or speak
 * for the connection were refused by the configuration reader, so nothing here can break framing.
 *
 * <p>Threading: immutable; used from every event loop.
 */
final class HeaderRewriter {
    private final String[] remove;
    private final String[] setNames;
    private final HeaderTemplate[] setValues;
    private final String[] addNames;
    private final HeaderTemplate[] addValues;
    private final boolean setsServer;

    private HeaderRewriter(HeaderRules rules) {
        remove = rules.remove().toArray(String[]::new);
        setNames = names(rules.set());
        setValues = templates(rules.set());
        addNames = names(rules.add());
        addValues = templates(rules.add());
        boolean server = false;
        for (HeaderTemplate t : setValues) {
            server |= t.usesServer();
        }
        setsServer = server;
    }

    /** The rewriter of {@code rules}, or null when they do nothing. */
    static HeaderRewriter of(HeaderRules rules) {
        return rules.isEmpty() ? null : new HeaderRewriter(rules);
    }

    private static String[] names(List<HeaderRules.Field> fields) {
        return fields.stream().map(HeaderRules.Field::name).toArray(String[]::new);
    }

    private static HeaderTemplate[] templates(List<HeaderRules.Field> fields) {
        return fields.stream().map(f -> new HeaderTemplate(f.value())).toArray(HeaderTemplate[]::new);
    }

    /** Applies every rule. */
    void apply(HeaderFields fields, ActionValues values) {
        for (String name : remove) {
            fields.remove(name);
        }
        for (int i = 0; i < setNames.length; i++) {
            fields.set(setNames[i], setValues[i].render(values));
        }
        for (int i = 0; i < addNames.length; i++) {
            fields.add(addNames[i], addValues[i].render(values));
        }
    }

    /**
     * A later attempt sends the same head to another server: the {@code set} fields naming the server are set
     * anew (the others, and what {@code add} added, stay as the first attempt left them).
     */
    void applyAgain(HeaderFields fields, ActionValues values) {
        if (!setsServer) {
            return;
        }
        for (int i = 0; i < setNames.length; i++) {
            if (setValues[i].usesServer()) {
                fields.set(setNames[i], setValues[i].render(values));
            }
        }
    }
}
