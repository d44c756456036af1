package dev.ferry.proxy.http;

import dev.ferry.config.ValueTemplate;

import java.util.List;

/**
 * A {@link ValueTemplate} ready to render: a constant is its string, anything else arrays of literals and variables
 * walked once per use (nothing is parsed per request).
 *
 * <p>Threading: immutable.
 */
final class HeaderTemplate {
    private final String constant;
    private final String[] literals;
    private final ValueTemplate.Variable[] variables;
    private final boolean usesServer;

    HeaderTemplate(ValueTemplate template) {
        List<ValueTemplate.Part> parts = template.parts();
        usesServer = template.uses(ValueTemplate.Variable.SERVER);
        if (template.isConstant()) {
            constant = parts.isEmpty() ? "" : parts.getFirst().literal();
            literals = null;
            variables = null;
        } else {
            constant = null;
            literals = new String[parts.size()];
            variables = new ValueTemplate.Variable[parts.size()];
            for (int i = 0; i < parts.size(); i++) {
                literals[i] = parts.get(i).literal();
                variables[i] = parts.get(i).variable();
            }
        }
    }

    /** Whether the value names the server ({@code $server}), which each attempt sets anew. */
    boolean usesServer() {
        return usesServer;
    }

    String render(ActionValues values) {
        if (constant != null) {
            return constant;
        }
        if (literals.length == 1) {
            return values.value(variables[0]);
        }
        StringBuilder b = new StringBuilder(64);
        for (int i = 0; i < literals.length; i++) {
            b.append(literals[i] != null ? literals[i] : values.value(variables[i]));
        }
        return b.toString();
    }
}
