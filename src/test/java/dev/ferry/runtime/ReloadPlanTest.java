package dev.ferry.runtime;

import dev.ferry.config.ConfigLoader;
import dev.ferry.config.FerryConfig;
import dev.ferry.runtime.ReloadPlan.Action;
import dev.ferry.runtime.ReloadPlan.BackendAction;
import dev.ferry.runtime.ReloadPlan.DnsAction;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The reload plan is worked out from two files and the bound ports alone: no sockets here (issue 17 item 5). */
class ReloadPlanTest {

    private static FerryConfig parse(String yaml) throws Exception {
        return ConfigLoader.parse(yaml, Path.of("plan.yaml"));
    }

    private static final String BACKENDS = """
            backends:
              - name: site
                servers: [ { name: s1, address: 127.0.0.1:9001 }, { name: s2, address: 127.0.0.1:9002 } ]
              - name: api
                servers: [ { name: a1, address: 127.0.0.1:9101 } ]
            """;

    private static FerryConfig frontends(String frontends) throws Exception {
        return parse("frontends:\n" + frontends + BACKENDS);
    }

    @Test
    void theSameFileKeepsEverythingAndChangesNothing() throws Exception {
        FerryConfig now = frontends("""
                  - { name: web, listen: 127.0.0.1:8080, mode: http, backend: site }
                  - { name: raw, listen: 127.0.0.1:8081, mode: tcp, backend: api }
                """);
        ReloadPlan plan = ReloadPlan.of(now, Map.of("web", 8080, "raw", 8081), 0, now);

        assertThat(plan.refusals()).isEmpty();
        assertThat(plan.frontends()).extracting(ReloadPlan.FrontendStep::action).containsExactly(Action.KEEP, Action.KEEP);
        assertThat(plan.frontends()).allSatisfy(f -> assertThat(f.changes()).isEmpty());
        assertThat(plan.backends()).extracting(ReloadPlan.BackendStep::action)
                .containsExactly(BackendAction.KEEP, BackendAction.KEEP);
        assertThat(plan.listenersToStart()).isEmpty();
        assertThat(plan.removedFrontends()).isEmpty();
        assertThat(plan.removedBackends()).isEmpty();
        assertThat(plan.dns().action()).isEqualTo(DnsAction.NONE);
        assertThat(plan.accessLogChanged()).isFalse();
    }

    @Test
    void aNewFrontendStartsAMovedOneBindsAnewAndAGoneOneDrains() throws Exception {
        FerryConfig now = frontends("""
                  - { name: web, listen: 127.0.0.1:8080, mode: http, backend: site }
                  - { name: old, listen: 127.0.0.1:8081, mode: tcp, backend: api }
                """);
        FerryConfig next = frontends("""
                  - { name: web, listen: 127.0.0.1:8090, mode: http, backend: site }
                  - { name: new, listen: 127.0.0.1:8082, mode: tcp, backend: api }
                """);
        ReloadPlan plan = ReloadPlan.of(now, Map.of("web", 8080, "old", 8081), 0, next);

        assertThat(plan.refusals()).isEmpty();
        assertThat(plan.frontends()).extracting(f -> f.config().name() + ":" + f.action())
                .containsExactly("web:MOVE", "new:START");
        assertThat(plan.listenersToStart()).hasSize(2);
        assertThat(plan.removedFrontends()).containsExactly("old");
    }

    @Test
    void aModeChangeOnTheSameAddressIsRefusedAndOnAnotherAddressMoves() throws Exception {
        FerryConfig now = frontends("  - { name: web, listen: 127.0.0.1:8080, mode: http, backend: site }\n");
        FerryConfig sameAddress = frontends("  - { name: web, listen: 127.0.0.1:8080, mode: tcp, backend: site }\n");
        FerryConfig otherAddress = frontends("  - { name: web, listen: 127.0.0.1:8085, mode: tcp, backend: site }\n");

        ReloadPlan refused = ReloadPlan.of(now, Map.of("web", 8080), 0, sameAddress);
        assertThat(refused.refusals()).singleElement().satisfies(p -> {
            assertThat(p.toString()).contains("frontends[0]", "changes its mode or accept settings", "needs a restart");
        });

        ReloadPlan moved = ReloadPlan.of(now, Map.of("web", 8080), 0, otherAddress);
        assertThat(moved.refusals()).isEmpty();
        assertThat(moved.frontends()).singleElement().extracting(ReloadPlan.FrontendStep::action).isEqualTo(Action.MOVE);
    }

    @Test
    void aChangedTlsKeepsTheListenerAndSwitchingTlsOnOrOffNeedsARestart() throws Exception {
        String tls = ", tls: { certificates: [ { cert: a.pem, key: a.key } ]%s }";
        FerryConfig now = frontends("  - { name: web, listen: 127.0.0.1:8080, mode: http, backend: site"
                + tls.formatted("") + " }\n");
        FerryConfig changed = frontends("  - { name: web, listen: 127.0.0.1:8080, mode: http, backend: site"
                + tls.formatted(", min_version: TLSv1.3, client_auth: optional, ca: ca.pem") + " }\n");
        FerryConfig plain = frontends("  - { name: web, listen: 127.0.0.1:8080, mode: http, backend: site }\n");

        ReloadPlan plan = ReloadPlan.of(now, Map.of("web", 8080), 0, changed);
        assertThat(plan.refusals()).isEmpty();
        assertThat(plan.frontends()).singleElement().satisfies(f -> {
            assertThat(f.action()).isEqualTo(Action.KEEP);
            assertThat(String.join(", ", f.changes())).contains("tls.min_version tlsv1.2 -> tlsv1.3",
                    "tls.client_auth none -> optional", "tls.ca added");
        });
        assertThat(ReloadPlan.of(now, Map.of("web", 8080), 0, plain).refusals()).singleElement()
                .satisfies(p -> assertThat(p.toString()).contains("needs a restart"));
    }

    @Test
    void portZeroMeansThePortTheListenerWasBoundTo() throws Exception {
        FerryConfig now = frontends("  - { name: web, listen: 127.0.0.1:0, mode: http, backend: site }\n");
        FerryConfig samePort = frontends("  - { name: web, listen: 127.0.0.1:41234, mode: http, backend: site }\n");
        FerryConfig otherPort = frontends("  - { name: web, listen: 127.0.0.1:41235, mode: http, backend: site }\n");

        assertThat(ReloadPlan.of(now, Map.of("web", 41234), 0, samePort).frontends())
                .singleElement().extracting(ReloadPlan.FrontendStep::action).isEqualTo(Action.KEEP);
        assertThat(ReloadPlan.of(now, Map.of("web", 41234), 0, otherPort).frontends())
                .singleElement().extracting(ReloadPlan.FrontendStep::action).isEqualTo(Action.MOVE);
        assertThat(ReloadPlan.of(now, Map.of("web", 41234), 0, now).frontends())
                .singleElement().extracting(ReloadPlan.FrontendStep::action).isEqualTo(Action.KEEP);
    }

    @Test
    void aChangedFrontendStaysWithItsChangesInWords() throws Exception {
        FerryConfig now = frontends("  - { name: web, listen: 127.0.0.1:8080, mode: http, backend: site }\n");
        FerryConfig next = frontends("  - { name: web, listen: 127.0.0.1:8080, mode: http, backend: api }\n");

        ReloadPlan plan = ReloadPlan.of(now, Map.of("web", 8080), 0, next);

        assertThat(plan.frontends()).singleElement().satisfies(f -> {
            assertThat(f.action()).isEqualTo(Action.KEEP);
            assertThat(String.join(" ", f.changes())).contains("api");
        });
    }

    @Test
    void onlyBackendsWhoseSettingsChangedAreUpdated() throws Exception {
        String frontend = "frontends: [ { name: web, listen: 127.0.0.1:8080, mode: http, backend: site } ]\n";
        FerryConfig now = parse(frontend + BACKENDS);
        FerryConfig next = parse(frontend + """
                backends:
                  - name: site
                    servers: [ { name: s1, address: 127.0.0.1:9001, weight: 5 }, { name: s2, address: 127.0.0.1:9002 } ]
                  - name: api
                    servers: [ { name: a1, address: 127.0.0.1:9101 } ]
                  - name: more
                    servers: [ { name: m1, address: 127.0.0.1:9201 } ]
                """);

        ReloadPlan plan = ReloadPlan.of(now, Map.of("web", 8080), 0, next);

        assertThat(plan.backends()).extracting(b -> b.config().name() + ":" + b.action())
                .containsExactly("site:UPDATE", "api:KEEP", "more:ADD");
        assertThat(String.join(" ", plan.backends().get(0).changes())).contains("s1", "weight");
        assertThat(plan.backends().get(1).changes()).isEmpty();

        ReloadPlan back = ReloadPlan.of(next, Map.of("web", 8080), 0, now);
        assertThat(back.removedBackends()).containsExactly("more");
    }

    @Test
    void theDnsResponderStartsStaysMovesAndStops() throws Exception {
        String rest = "frontends: [ { name: web, listen: 127.0.0.1:8080, mode: http, backend: site } ]\n" + BACKENDS;
        FerryConfig none = parse(rest);
        FerryConfig on5300 = parse(rest + dns(5300, 30));
        FerryConfig on5300ttl = parse(rest + dns(5300, 60));
        FerryConfig on5301 = parse(rest + dns(5301, 30));
        FerryConfig onZero = parse(rest + dns(0, 30));
        Map<String, Integer> web = Map.of("web", 8080);

        assertThat(ReloadPlan.of(none, web, 0, none).dns().action()).isEqualTo(DnsAction.NONE);
        assertThat(ReloadPlan.of(none, web, 0, on5300).dns().action()).isEqualTo(DnsAction.START);
        assertThat(ReloadPlan.of(on5300, web, 5300, on5300).dns()).satisfies(d -> {
            assertThat(d.action()).isEqualTo(DnsAction.KEEP);
            assertThat(d.changes()).isEmpty();
        });
        assertThat(ReloadPlan.of(on5300, web, 5300, on5300ttl).dns()).satisfies(d -> {
            assertThat(d.action()).isEqualTo(DnsAction.KEEP);
            assertThat(d.changes()).containsExactly("zones changed");
        });
        assertThat(ReloadPlan.of(on5300, web, 5300, on5301).dns().action()).isEqualTo(DnsAction.START);
        assertThat(ReloadPlan.of(on5300, web, 5300, none).dns().action()).isEqualTo(DnsAction.STOP);
        // A responder on port 0 stays where it was bound when the next file names that port.
        assertThat(ReloadPlan.of(onZero, web, 5300, on5300).dns().action()).isEqualTo(DnsAction.KEEP);
        assertThat(ReloadPlan.of(onZero, web, 5300, on5301).dns().action()).isEqualTo(DnsAction.START);
    }

    private static String dns(int port, int ttl) {
        return """
                dns:
                  listen: 127.0.0.1:%d
                  zones:
                    - origin: example.test.
                      records:
                        - { name: www, type: A, backend: site, ttl: %d }
                """.formatted(port, ttl);
    }

    @Test
    void aDirectorKeepsItsDeviceOrTheReloadIsRefused() throws Exception {
        FerryConfig now = parse(director("ferry0", 1, 1000));
        FerryConfig limit = parse(director("ferry0", 1, 2000));
        FerryConfig device = parse(director("ferry1", 1, 1000));
        FerryConfig workers = parse(director("ferry0", 2, 1000));

        assertThat(ReloadPlan.of(now, Map.of(), 0, limit)).satisfies(p -> {
            assertThat(p.refusals()).isEmpty();
            assertThat(p.directors()).singleElement().satisfies(d -> {
                assertThat(d.action()).isEqualTo(Action.KEEP);
                assertThat(String.join(" ", d.changes())).contains("max_connections");
            });
        });
        assertThat(ReloadPlan.of(now, Map.of(), 0, device).refusals()).singleElement()
                .satisfies(p -> assertThat(p.toString()).contains("directors[0]", "ferry0", "ferry1", "needs a restart"));
        assertThat(ReloadPlan.of(now, Map.of(), 0, workers).refusals()).singleElement()
                .satisfies(p -> assertThat(p.toString()).contains("workers", "needs a restart"));
        FerryConfig without = frontends("  - { name: web, listen: 127.0.0.1:8080, mode: http, backend: site }\n");
        assertThat(ReloadPlan.of(now, Map.of(), 0, without).removedDirectors()).containsExactly("lb");
        assertThat(ReloadPlan.of(without, Map.of("web", 8080), 0, now).directors()).singleElement()
                .extracting(ReloadPlan.DirectorStep::action).isEqualTo(Action.START);
    }

    private static String director(String device, int workers, int max) {
        return BACKENDS + """
                directors:
                  - name: lb
                    device: %s
                    workers: %d
                    max_connections: %d
                    services:
                      - { vip: 10.0.0.1:80, protocol: tcp, backend: site }
                """.formatted(device, workers, max);
    }

    @Test
    void anAccessLogChangeIsSeen() throws Exception {
        String rest = "frontends: [ { name: web, listen: 127.0.0.1:8080, mode: http, backend: site } ]\n" + BACKENDS;
        FerryConfig off = parse(rest);
        FerryConfig on = parse(rest + "access_log: { format: json }\n");

        assertThat(ReloadPlan.of(off, Map.of("web", 8080), 0, on).accessLogChanged()).isTrue();
        assertThat(ReloadPlan.of(on, Map.of("web", 8080), 0, on).accessLogChanged()).isFalse();
    }
}
