package dev.ferry.proxy.admission;

import dev.ferry.config.AccessRules;

import java.net.InetAddress;

/**
 * The compiled access rules of one frontend or route ({@link AccessRules}): deny wins; with an allow list only the
 * sources in it pass; without one, all that are not denied.
 *
 * <p>Threading: immutable; any thread. A check allocates nothing for an IPv4 source.
 */
public final class AccessPolicy {
    /** No rules: everyone passes. */
    public static final AccessPolicy ALL = new AccessPolicy(NetworkSet.EMPTY, null);

    private final NetworkSet deny;
    /** Null: no allow list. */
    private final NetworkSet allow;

    private AccessPolicy(NetworkSet deny, NetworkSet allow) {
        this.deny = deny;
        this.allow = allow;
    }

    public static AccessPolicy of(AccessRules rules) {
        if (rules.isEmpty()) {
            return ALL;
        }
        return new AccessPolicy(new NetworkSet(rules.allDenied()),
                rules.allowList() ? new NetworkSet(rules.allAllowed()) : null);
    }

    /** Whether there is nothing to check. */
    public boolean allowsAll() {
        return this == ALL;
    }

    /** Whether {@code source} may come in; an unknown source (null) only when there is no allow list. */
    public boolean admits(InetAddress source) {
        if (source == null) {
            return allow == null;
        }
        if (deny.contains(source)) {
            return false;
        }
        return allow == null || allow.contains(source);
    }
}
