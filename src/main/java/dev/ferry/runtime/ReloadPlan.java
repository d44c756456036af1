package dev.ferry.runtime;

import dev.ferry.config.BackendConfig;
import dev.ferry.config.ConfigProblem;
import dev.ferry.config.DirectorConfig;
import dev.ferry.config.DnsConfig;
import dev.ferry.config.FerryConfig;
import dev.ferry.config.FrontendConfig;
import dev.ferry.director.Director;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;

/**
 * What a reload from one configuration to the next does, worked out from the two files and the ports the running
 * listeners were bound to, and from nothing else: pure, no sockets, any thread. {@link Balancer#reload} carries it
 * out (binds what starts, then commits); a plan with {@link #refusals()} is not carried out at all.
 *
 * @param refusals  what the running process cannot take in place (a listener changed on its own address, a director's
 *                  device or workers): the reload is refused with these
 * @param frontends one step per frontend of the next file, in its order
 * @param removedFrontends frontends of the running file that the next one does not have (they drain)
 * @param backends  one step per backend of the next file, in its order
 * @param removedBackends backends the next file does not have
 * @param dns       what happens to the DNS responder, with what changed when it stays
 * @param directors one step per director of the next file
 * @param removedDirectors directors the next file does not have
 * @param accessLogChanged whether the access log's settings changed (it is opened anew)
 */
record ReloadPlan(List<ConfigProblem> refusals, List<FrontendStep> frontends, List<String> removedFrontends,
                  List<BackendStep> backends, List<String> removedBackends, DnsStep dns,
                  List<DirectorStep> directors, List<String> removedDirectors, boolean accessLogChanged) {

    /** {@code START}: a new listener (new frontend); {@code MOVE}: a new listener replacing the old one; {@code KEEP}. */
    enum Action { START, MOVE, KEEP }

    /** {@code ADD}: built new; {@code UPDATE}: reconfigured, its checks restarted; {@code KEEP}: nothing changed. */
    enum BackendAction { ADD, UPDATE, KEEP }

    /** {@code NONE}: no responder before or after; {@code START} binds one (replacing a moved one); {@code STOP}. */
    enum DnsAction { NONE, KEEP, START, STOP }

    /** A frontend: what happens to its listener, and what changed in words (empty for a new one). */
    record FrontendStep(FrontendConfig config, Action action, List<String> changes) {
    }

    record BackendStep(BackendConfig config, BackendAction action, List<String> changes) {
    }

    record DnsStep(DnsAction action, List<String> changes) {
    }

    /** A director: {@code START} opens its device, {@code KEEP} reconfigures it in place. */
    record DirectorStep(DirectorConfig config, Action action, List<String> changes) {
    }

    /**
     * The plan from {@code now} to {@code next}.
     *
     * @param boundPorts the port each running frontend's listener was bound to, by name (matters where a file
     *                   says port 0)
     * @param dnsPort    the port the running DNS responder answers on, 0 when there is none
     */
    static ReloadPlan of(FerryConfig now, Map<String, Integer> boundPorts, int dnsPort, FerryConfig next) {
        List<ConfigProblem> refusals = new ArrayList<>();
        Map<String, FrontendConfig> running = byName(now.frontends(), FrontendConfig::name);
        List<FrontendStep> frontends = new ArrayList<>();
        for (int i = 0; i < next.frontends().size(); i++) {
            FrontendConfig fc = next.frontends().get(i);
            FrontendConfig old = running.get(fc.name());
            if (old == null) {
                frontends.add(new FrontendStep(fc, Action.START, List.of()));
                continue;
            }
            boolean sameAddress = old.listensOn(fc.listen(), boundPorts.getOrDefault(fc.name(), 0));
            if (sameAddress && old.keepsListenerSettings(fc)) {
                frontends.add(new FrontendStep(fc, Action.KEEP, ConfigChanges.of(old, fc)));
            } else if (sameAddress) {
                refusals.add(next.problem("frontends[" + i + "]", "frontend '" + fc.name() + "' changes its mode or "
                        + "accept settings on the same address " + fc.listen() + "; that needs a restart (or move it "
                        + "to another address)"));
            } else {
                frontends.add(new FrontendStep(fc, Action.MOVE, List.of()));
            }
        }

        Map<String, BackendConfig> backendsNow = byName(now.backends(), BackendConfig::name);
        List<BackendStep> backends = new ArrayList<>();
        for (BackendConfig bc : next.backends()) {
            BackendConfig old = backendsNow.get(bc.name());
            if (old == null) {
                backends.add(new BackendStep(bc, BackendAction.ADD, List.of()));
            } else {
                List<String> changes = ConfigChanges.of(old, bc);
                // Equal records with no change in words: equal in every key, so the checks keep running.
                boolean same = changes.isEmpty() && old.equals(bc);
                backends.add(new BackendStep(bc, same ? BackendAction.KEEP : BackendAction.UPDATE, changes));
            }
        }

        Map<String, DirectorConfig> directorsNow = byName(now.directors(), DirectorConfig::name);
        List<DirectorStep> directors = new ArrayList<>();
        for (int i = 0; i < next.directors().size(); i++) {
            DirectorConfig dc = next.directors().get(i);
            DirectorConfig old = directorsNow.get(dc.name());
            if (old == null) {
                directors.add(new DirectorStep(dc, Action.START, List.of()));
                continue;
            }
            String restart = Director.needsRestart(old, dc);
            if (restart != null) {
                refusals.add(next.problem("directors[" + i + "]",
                        restart + "; that needs a restart (tracked connections live in the running device)"));
            } else {
                directors.add(new DirectorStep(dc, Action.KEEP, ConfigChanges.of(old, dc, Set.of())));
            }
        }

        return new ReloadPlan(List.copyOf(refusals), List.copyOf(frontends),
                removed(now.frontends(), next.frontends(), FrontendConfig::name), List.copyOf(backends),
                removed(now.backends(), next.backends(), BackendConfig::name), dns(now.dns(), dnsPort, next.dns()),
                List.copyOf(directors), removed(now.directors(), next.directors(), DirectorConfig::name),
                !now.accessLog().equals(next.accessLog()));
    }

    private static DnsStep dns(Optional<DnsConfig> now, int port, Optional<DnsConfig> next) {
        if (now.isEmpty()) {
            return new DnsStep(next.isPresent() ? DnsAction.START : DnsAction.NONE, List.of());
        }
        if (next.isEmpty()) {
            return new DnsStep(DnsAction.STOP, List.of());
        }
        DnsConfig old = now.get();
        DnsConfig fresh = next.get();
        boolean sameAddress = fresh.listen().equals(old.listen()) || (port != 0
                && fresh.listen().host().equals(old.listen().host()) && fresh.listen().port() == port);
        return sameAddress ? new DnsStep(DnsAction.KEEP, ConfigChanges.of(old, fresh, Set.of("listen")))
                : new DnsStep(DnsAction.START, List.of());
    }

    /** The steps that bind a new listener. */
    List<FrontendStep> listenersToStart() {
        return frontends.stream().filter(f -> f.action() != Action.KEEP).toList();
    }

    private static <T> Map<String, T> byName(List<T> items, Function<T, String> name) {
        Map<String, T> out = new LinkedHashMap<>();
        items.forEach(i -> out.put(name.apply(i), i));
        return out;
    }

    /** The names in {@code before} that {@code after} does not have, in order. */
    private static <T> List<String> removed(List<T> before, List<T> after, Function<T, String> name) {
        Set<String> kept = Set.copyOf(after.stream().map(name).toList());
        return before.stream().map(name).filter(n -> !kept.contains(n)).toList();
    }
}
