package dev.ferry.config;

/**
 * One thing wrong with a configuration file, located for a person to fix.
 *
 * @param file    the file as the user named it
 * @param line    1-based line, 0 when unknown
 * @param column  1-based column, 0 when unknown
 * @param key     the dotted path of the key, e.g. {@code backends[0].servers[1].weight}
 * @param message what was wrong and what is allowed
 */
public record ConfigProblem(String file, int line, int column, String key, String message) {
    /** {@code file:line:column: key: message}, the form every user-facing error takes. */
    @Override
    public String toString() {
        String where = line > 0 ? file + ":" + line + ":" + column : file;
        return key == null || key.isEmpty() ? where + ": " + message : where + ": " + key + ": " + message;
    }
}
