package dev.ferry.config;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * The access rules of a frontend or route: {@code allow}, {@code deny}, {@code allow_file}, {@code deny_file}.
 * Semantics (as nginx's allow/deny, with deny first): a source in any deny network is refused; otherwise, when an allow
 * list is written ({@code allow} or {@code allow_file}, even an empty one), only sources in one of its networks pass;
 * with neither, everyone passes. The files' networks are read when the configuration is loaded, so a reload re-reads
 * them. Immutable.
 *
 * @param allow     networks written in {@code allow:}; empty when absent
 * @param deny      networks written in {@code deny:}
 * @param allowFile the file of {@code allow_file:} with the networks read from it
 * @param denyFile  the file of {@code deny_file:} with its networks
 * @param allowList whether an allow list is in force ({@code allow} or {@code allow_file} written)
 */
public record AccessRules(List<Cidr> allow, List<Cidr> deny, Optional<NetworkFile> allowFile,
                          Optional<NetworkFile> denyFile, boolean allowList) {
    /** No rules: everyone passes. */
    public static final AccessRules NONE = new AccessRules(List.of(), List.of(), Optional.empty(), Optional.empty(),
            false);

    public AccessRules {
        allow = List.copyOf(allow);
        deny = List.copyOf(deny);
    }

    /** Whether there is any rule at all (when not, nothing is checked). */
    public boolean isEmpty() {
        return !allowList && deny.isEmpty() && denyFile.map(f -> f.networks().isEmpty()).orElse(true);
    }

    /** Every allow network, written and from the file. */
    public List<Cidr> allAllowed() {
        return allowFile.map(f -> concat(allow, f.networks())).orElse(allow);
    }

    /** Every deny network, written and from the file. */
    public List<Cidr> allDenied() {
        return denyFile.map(f -> concat(deny, f.networks())).orElse(deny);
    }

    private static List<Cidr> concat(List<Cidr> a, List<Cidr> b) {
        return java.util.stream.Stream.concat(a.stream(), b.stream()).toList();
    }

    /**
     * A file of networks, one per line ({@code #} starts a comment, blank lines are skipped), with what it held when
     * the configuration was loaded.
     */
    public record NetworkFile(Path path, List<Cidr> networks) {
        public NetworkFile {
            networks = List.copyOf(networks);
        }

        @Override
        public String toString() {
            return path + " (" + networks.size() + " networks)";
        }
    }
}
