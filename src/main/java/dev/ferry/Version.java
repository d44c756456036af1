package dev.ferry;

import picocli.CommandLine;

/** The version, read from the jar's manifest (or "dev" when run from classes). */
final class Version implements CommandLine.IVersionProvider {
    static String current() {
        String v = Ferry.class.getPackage().getImplementationVersion();
        return v == null ? "dev" : v;
    }

    @Override
    public String[] getVersion() {
        return new String[] {"ferry " + current() + " (Java " + Runtime.version() + ")"};
    }
}
