package dev.ferry.config;

import dev.ferry.config.DirectorServiceConfig.Forwarding;
import dev.ferry.config.DirectorServiceConfig.Protocol;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/** The {@code directors:} section: read with its defaults, and each mistake placed at its key. */
class DirectorConfigTest {
    private static final String FILE = "conf/ferry.yaml";
    private static final String BACKENDS = """
            backends:
              - name: web
                scheduler: wrr
                servers: [ { address: 10.101.0.11:8080 }, { address: 10.101.0.12:8080, weight: 2 } ]
            """;

    private static FerryConfig parse(String yaml) throws ConfigException {
        return ConfigLoader.parse(yaml, Path.of(FILE));
    }

    private static List<ConfigProblem> problems(String yaml) {
        try {
            parse(yaml);
        } catch (ConfigException e) {
            return e.problems();
        }
        throw new AssertionError("expected the configuration to be refused:\n" + yaml);
    }

    /** The one problem of {@code yaml}, which must be about {@code key} on {@code line}. */
    private static String onlyProblem(String yaml, int line, String key) {
        List<ConfigProblem> problems = problems(yaml);
        assertThat(problems).as("problems of\n%s", yaml).hasSize(1);
        ConfigProblem p = problems.get(0);
        assertThat(p.file()).isEqualTo(FILE);
        assertThat(p.key()).isEqualTo(key);
        assertThat(p.line()).as("line of %s", p).isEqualTo(line);
        return p.message();
    }

    @Test
    void aDirectorAloneIsSomethingToServeAndGetsIpvsDefaults() throws ConfigException {
        FerryConfig config = parse(BACKENDS + """
                directors:
                  - name: lvs1
                    services: [ { vip: 10.200.0.100:80, backend: web } ]
                """);

        assertThat(config.frontends()).isEmpty();
        DirectorConfig d = config.directors().get(0);
        assertThat(d.name()).isEqualTo("lvs1");
        assertThat(d.device()).isEqualTo("ferry0");
        assertThat(d.netInterface()).isEmpty();
        assertThat(d.workers()).isEqualTo(1);
        assertThat(d.maxConnections()).isEqualTo(1_000_000);
        assertThat(d.timeouts()).isEqualTo(new DirectorConfig.Timeouts(Duration.ofSeconds(900),
                Duration.ofSeconds(120), Duration.ofSeconds(300)));
        assertThat(d.services()).containsExactly(new DirectorServiceConfig(new HostPort("10.200.0.100", 80),
                Protocol.TCP, "web", Forwarding.NAT));
    }

    @Test
    void readsEveryKeyOfANatDirector() throws ConfigException {
        FerryConfig config = parse(BACKENDS + """
                directors:
                  - name: lvs1
                    device: lvs-tun
                    workers: 2
                    max_connections: 5000
                    timeouts: { tcp: 30s, tcp_fin: 2s, udp: 500ms }
                    services:
                      - { vip: 10.200.0.100:80, protocol: tcp, backend: web, forwarding: nat }
                      - { vip: 10.200.0.100:80, protocol: udp, backend: web }
                """);

        DirectorConfig d = config.directors().get(0);
        assertThat(d.device()).isEqualTo("lvs-tun");
        assertThat(d.workers()).isEqualTo(2);
        assertThat(d.maxConnections()).isEqualTo(5000);
        assertThat(d.timeouts()).isEqualTo(new DirectorConfig.Timeouts(Duration.ofSeconds(30),
                Duration.ofSeconds(2), Duration.ofMillis(500)));
        assertThat(d.services()).extracting(DirectorServiceConfig::protocol).containsExactly(Protocol.TCP,
                Protocol.UDP);
    }

    @Test
    void aDirectorWithoutNameOrServicesIsRefused() {
        String yaml = BACKENDS + """
                directors:
                  - device: ferry0
                """;
        List<ConfigProblem> problems = problems(yaml);

        assertThat(problems).extracting(ConfigProblem::key).containsExactlyInAnyOrder("directors[0].name",
                "directors[0].services");
        assertThat(problems).extracting(ConfigProblem::message).anySatisfy(m -> assertThat(m)
                .contains("a director needs at least one virtual service"));
    }

    @Test
    void anEmptyServiceListIsRefused() {
        assertThat(onlyProblem(BACKENDS + """
                directors:
                  - { name: lvs1, services: [] }
                """, 6, "directors[0].services")).contains("is empty");
    }

    @Test
    void aVipUsedTwiceForOneProtocolIsRefusedButTcpAndUdpMayShareIt() {
        String message = onlyProblem(BACKENDS + """
                directors:
                  - name: lvs1
                    services:
                      - { vip: 10.200.0.100:80, backend: web }
                      - { vip: 10.200.0.100:80, protocol: udp, backend: web }
                  - name: lvs2
                    device: ferry1
                    services:
                      - { vip: 10.200.0.100:80, backend: web }
                """, 13, "directors[1].services[0].vip");

        assertThat(message).contains("virtual service tcp 10.200.0.100:80 is already used by "
                + "directors[0].services[0].vip");
    }

    @Test
    void twoDirectorsCannotShareANameOrADevice() {
        List<ConfigProblem> problems = problems(BACKENDS + """
                directors:
                  - { name: lvs1, services: [ { vip: 10.200.0.100:80, backend: web } ] }
                  - { name: lvs1, services: [ { vip: 10.200.0.101:80, backend: web } ] }
                """);

        assertThat(problems).extracting(ConfigProblem::key).containsExactlyInAnyOrder("directors[1].name",
                "directors[1].device");
        assertThat(problems).extracting(ConfigProblem::message).anySatisfy(m -> assertThat(m)
                .contains("device ferry0 is already used by directors[0].device"));
    }

    @Test
    void aDeviceNameTheKernelWouldRefuseIsRefused() {
        assertThat(onlyProblem(BACKENDS + """
                directors:
                  - { name: lvs1, device: a-name-longer-than-15, services: [ { vip: 10.200.0.100:80, backend: web } ] }
                """, 6, "directors[0].device")).contains("1 to 15 letters");
    }

    @Test
    void aVipMustBeAnIpv4Literal() {
        assertThat(onlyProblem(BACKENDS + """
                directors:
                  - { name: lvs1, services: [ { vip: "[2001:db8::1]:80", backend: web } ] }
                """, 6, "directors[0].services[0].vip")).contains("is not an IPv4 address and port");
        assertThat(onlyProblem(BACKENDS + """
                directors:
                  - { name: lvs1, services: [ { vip: vip.example.com:80, backend: web } ] }
                """, 6, "directors[0].services[0].vip")).contains("is not an IPv4 address and port");
    }

    @Test
    void anUnknownBackendIsNamedWithSuggestions() {
        assertThat(onlyProblem(BACKENDS + """
                directors:
                  - { name: lvs1, services: [ { vip: 10.200.0.100:80, backend: wbe } ] }
                """, 6, "directors[0].services[0].backend")).contains("wbe").contains("web");
    }

    @Test
    void aBackendWhoseServersAreNamesOrWhoseHashKeyNeedsHttpIsRefused() {
        assertThat(onlyProblem("""
                backends:
                  - { name: web, servers: [ { name: a, address: "app.internal:80" } ] }
                directors:
                  - { name: lvs1, services: [ { vip: 10.200.0.100:80, backend: web } ] }
                """, 4, "directors[0].services[0].backend")).contains("server 'a' of backend 'web' must have an "
                + "IPv4 address");
        assertThat(onlyProblem("""
                backends:
                  - { name: web, scheduler: mh, hash_key: "header:X-User", servers: [ { address: 10.101.0.11:80 } ] }
                directors:
                  - { name: lvs1, services: [ { vip: 10.200.0.100:80, backend: web } ] }
                """, 4, "directors[0].services[0].backend")).contains("which only HTTP requests have");
    }

    @Test
    void directNeedsTheDirectorsInterfaceAndAnUnknownMethodIsPlainlyRefused() throws ConfigException {
        FerryConfig config = parse(BACKENDS + """
                directors:
                  - { name: lvs1, interface: eth0, services: [ { vip: 10.100.0.100:8080, backend: web, forwarding: direct } ] }
                """);
        assertThat(config.directors().get(0).netInterface()).contains("eth0");
        assertThat(config.directors().get(0).services().get(0).forwarding()).isEqualTo(Forwarding.DIRECT);

        assertThat(onlyProblem(BACKENDS + """
                directors:
                  - { name: lvs1, services: [ { vip: 10.100.0.100:8080, backend: web, forwarding: direct } ] }
                """, 6, "directors[0].services[0].forwarding")).contains("add interface: to the director")
                .contains("e.g. interface: eth0");
        assertThat(onlyProblem(BACKENDS + """
                directors:
                  - { name: lvs1, interface: "eth 0", services: [ { vip: 10.100.0.100:8080, backend: web, forwarding: direct } ] }
                """, 6, "directors[0].interface")).contains("not an interface name");
        assertThat(onlyProblem(BACKENDS + """
                directors:
                  - { name: lvs1, interface: eth0, services: [ { vip: 10.200.0.100:80, backend: web, forwarding: direct } ] }
                """, 6, "directors[0].services[0].forwarding")).contains("does not rewrite the port")
                .contains("must listen on the VIP's port 80, not 8080");
        assertThat(onlyProblem(BACKENDS + """
                directors:
                  - { name: lvs1, services: [ { vip: 10.200.0.100:80, backend: web, forwarding: dsr } ] }
                """, 6, "directors[0].services[0].forwarding")).contains("nat").contains("tunnel").contains("direct");
    }

    @Test
    void tunnelIsAcceptedWhenEveryServerListensOnTheVipsPort() throws ConfigException {
        FerryConfig config = parse(BACKENDS + """
                directors:
                  - name: lvs1
                    services:
                      - { vip: 10.100.0.100:8080, backend: web, forwarding: tunnel }
                      - { vip: 10.100.0.101:0, backend: web, forwarding: tunnel, persistence: {} }
                """);

        assertThat(config.directors().get(0).services()).extracting(DirectorServiceConfig::forwarding)
                .containsExactly(Forwarding.TUNNEL, Forwarding.TUNNEL);
    }

    @Test
    void tunnelRefusesAServerOnAnotherPortThanTheVips() {
        assertThat(onlyProblem(BACKENDS + """
                directors:
                  - { name: lvs1, services: [ { vip: 10.200.0.100:80, backend: web, forwarding: tunnel } ] }
                """, 6, "directors[0].services[0].forwarding")).contains("does not rewrite the port")
                .contains("server '10.101.0.11:8080' of backend 'web' must listen on the VIP's port 80, not 8080")
                .contains("e.g. address: 10.101.0.11:80");
    }

    @Test
    void aServerMayForwardOtherwiseThanItsServiceAndThePortRuleFollowsItsOwnMethod() throws ConfigException {
        FerryConfig config = parse("""
                backends:
                  - name: web
                    servers:
                      - { name: a, address: 10.101.0.11:8080 }
                      - { name: b, address: 10.100.0.12:80, forwarding: tunnel }
                directors:
                  - { name: lvs1, services: [ { vip: 10.100.0.100:80, backend: web } ] }
                """);
        assertThat(config.backends().get(0).servers()).extracting(ServerConfig::forwarding)
                .containsExactly(Optional.empty(), Optional.of(Forwarding.TUNNEL));

        assertThat(onlyProblem("""
                backends:
                  - name: web
                    servers:
                      - { name: a, address: 10.101.0.11:8080 }
                      - { name: b, address: 10.100.0.12:8080, forwarding: tunnel }
                directors:
                  - { name: lvs1, services: [ { vip: 10.100.0.100:80, backend: web } ] }
                """, 7, "directors[0].services[0].backend")).contains("forwarding: tunnel (the server's own) does "
                + "not rewrite the port, so server 'b' of backend 'web' must listen on the VIP's port 80, not 8080");
        // A NAT server in a tunnel service may listen anywhere: its packets are rewritten.
        parse("""
                backends:
                  - name: web
                    servers:
                      - { name: a, address: 10.101.0.11:8080, forwarding: nat }
                      - { name: b, address: 10.100.0.12:80 }
                directors:
                  - { name: lvs1, services: [ { vip: 10.100.0.100:80, backend: web, forwarding: tunnel } ] }
                """);
        // A direct server needs the director's interface, and makes it used.
        assertThat(onlyProblem("""
                backends:
                  - name: web
                    servers: [ { address: 10.101.0.11:80, forwarding: direct } ]
                directors:
                  - { name: lvs1, services: [ { vip: 10.100.0.100:80, backend: web } ] }
                """, 5, "directors[0].services[0].backend")).contains("has a server with forwarding: direct")
                .contains("add interface:");
        parse("""
                backends:
                  - name: web
                    servers: [ { address: 10.101.0.11:80, forwarding: direct } ]
                directors:
                  - { name: lvs1, interface: eth0, services: [ { vip: 10.100.0.100:80, backend: web } ] }
                """);
    }

    @Test
    void persistenceTakesATimeoutAndANetmaskAndPortZeroNeedsIt() throws Exception {
        FerryConfig config = parse(BACKENDS + """
                directors:
                  - name: lvs1
                    services:
                      - { vip: 10.200.0.100:80, backend: web, persistence: { timeout: 360s, netmask: 255.255.255.0 } }
                      - { vip: 10.200.0.100:443, backend: web, persistence: {} }
                      - { vip: 10.200.0.101:0, backend: web, persistence: { timeout: 30m } }
                      - { vip: 10.200.0.102:80, backend: web }
                """);
        List<DirectorServiceConfig> services = config.directors().get(0).services();
        assertThat(services.get(0).persistence()).contains(
                new DirectorServiceConfig.Persistence(Duration.ofSeconds(360), 0xFFFF_FF00));
        assertThat(services.get(1).persistence()).contains(new DirectorServiceConfig.Persistence(
                DirectorServiceConfig.Persistence.DEFAULT_TIMEOUT, 0xFFFF_FFFF));
        assertThat(services.get(2).vip().port()).isZero();
        assertThat(services.get(3).persistence()).isEmpty();

        assertThat(onlyProblem(BACKENDS + """
                directors:
                  - name: lvs1
                    services:
                      - { vip: 10.200.0.100:0, backend: web }
                """, 8, "directors[0].services[0].vip")).contains("port 0").contains("needs persistence");
        assertThat(onlyProblem(BACKENDS + """
                directors:
                  - name: lvs1
                    services:
                      - { vip: 10.200.0.100:80, backend: web, persistence: { netmask: 255.0.255.0 } }
                """, 8, "directors[0].services[0].persistence.netmask")).contains("not an IPv4 netmask")
                .contains("contiguous");
        assertThat(onlyProblem(BACKENDS + """
                directors:
                  - name: lvs1
                    services:
                      - { vip: 10.200.0.100:80, backend: web, persistence: { timeout: 0s } }
                """, 8, "directors[0].services[0].persistence.timeout")).contains("1s");
        assertThat(onlyProblem(BACKENDS + """
                directors:
                  - name: lvs1
                    services:
                      - { vip: 10.200.0.100:80, backend: web, persistence: { time: 10s } }
                """, 8, "directors[0].services[0].persistence.time")).contains("timeout");
    }

    @Test
    void theSynFloodDefenceHasIpvsStrategiesAndAThreshold() throws Exception {
        assertThat(parse(BACKENDS + """
                directors:
                  - { name: lvs1, services: [ { vip: 10.200.0.100:80, backend: web } ] }
                """).directors().get(0).defense()).isEqualTo(DirectorConfig.Defense.DEFAULTS);
        assertThat(parse(BACKENDS + """
                directors:
                  - name: lvs1
                    defense: { threshold: 75, drop_entry: off, drop_packet: always, secure_tcp: auto }
                    services: [ { vip: 10.200.0.100:80, backend: web } ]
                """).directors().get(0).defense()).isEqualTo(new DirectorConfig.Defense(75,
                DirectorConfig.Defense.Strategy.OFF, DirectorConfig.Defense.Strategy.ALWAYS,
                DirectorConfig.Defense.Strategy.AUTO));
        assertThat(onlyProblem(BACKENDS + """
                directors:
                  - name: lvs1
                    defense: { drop_packet: sometimes }
                    services: [ { vip: 10.200.0.100:80, backend: web } ]
                """, 7, "directors[0].defense.drop_packet")).contains("off, auto, always");
        assertThat(onlyProblem(BACKENDS + """
                directors:
                  - name: lvs1
                    defense: { threshold: 100 }
                    services: [ { vip: 10.200.0.100:80, backend: web } ]
                """, 7, "directors[0].defense.threshold")).contains("99");
    }

    @Test
    void interfaceIsOnlyForDirectForwarding() {
        assertThat(onlyProblem(BACKENDS + """
                directors:
                  - { name: lvs1, interface: eth0, services: [ { vip: 10.200.0.100:80, backend: web } ] }
                """, 6, "directors[0].interface")).contains("forwarding: direct");
    }

    @Test
    void severalWorkersShareTheLimitAndNeedOneEntryEach() {
        assertThat(onlyProblem(BACKENDS + """
                directors:
                  - { name: lvs1, workers: 4, max_connections: 3, services: [ { vip: 10.200.0.100:80, backend: web } ] }
                """, 6, "directors[0].max_connections")).contains("at least 4");
        assertThat(onlyProblem(BACKENDS + """
                directors:
                  - { name: lvs1, workers: 65, services: [ { vip: 10.200.0.100:80, backend: web } ] }
                """, 6, "directors[0].workers")).contains("64");
    }

    @Test
    void limitsAndTimeoutsHaveBounds() {
        assertThat(onlyProblem(BACKENDS + """
                directors:
                  - { name: lvs1, max_connections: 0, services: [ { vip: 10.200.0.100:80, backend: web } ] }
                """, 6, "directors[0].max_connections")).isNotBlank();
        assertThat(onlyProblem(BACKENDS + """
                directors:
                  - name: lvs1
                    timeouts: { tcp: 10ms }
                    services: [ { vip: 10.200.0.100:80, backend: web } ]
                """, 7, "directors[0].timeouts.tcp")).isNotBlank();
        assertThat(onlyProblem(BACKENDS + """
                directors:
                  - name: lvs1
                    timeouts: { tcp_syn: 10s }
                    services: [ { vip: 10.200.0.100:80, backend: web } ]
                """, 7, "directors[0].timeouts.tcp_syn")).contains("tcp_fin");
    }

    @Test
    void ioIsUringByDefaultTakesSyscallsAndRefusesAnythingElseAtTheKey() throws ConfigException {
        String director = """
                directors:
                  - name: lvs1
                %s    services: [ { vip: 10.200.0.100:80, backend: web } ]
                """;
        assertThat(parse(BACKENDS + director.formatted("")).directors().get(0).io())
                .isEqualTo(DirectorConfig.Io.URING);
        assertThat(parse(BACKENDS + director.formatted("    io: syscalls\n")).directors().get(0).io())
                .isEqualTo(DirectorConfig.Io.SYSCALLS);
        assertThat(parse(BACKENDS + director.formatted("    io: uring\n")).directors().get(0).io())
                .isEqualTo(DirectorConfig.Io.URING);

        assertThat(onlyProblem(BACKENDS + director.formatted("    io: uring2\n"), 7, "directors[0].io"))
                .isEqualTo("'uring2' is not allowed; did you mean 'uring'? allowed: uring, syscalls");
        assertThat(onlyProblem(BACKENDS + director.formatted("    io: [ uring ]\n"), 7, "directors[0].io"))
                .contains("uring, syscalls");
    }

    @Test
    void aConfigurationWithADirectorEqualsItselfReadTwice() throws ConfigException {
        String yaml = BACKENDS + """
                directors: [ { name: lvs1, services: [ { vip: 10.200.0.100:80, backend: web } ] } ]
                """;
        assertThat(parse(yaml)).isEqualTo(parse(yaml));
        assertThat(parse(yaml)).isNotEqualTo(parse(yaml.replace("lvs1", "lvs2")));
        assertThat(Optional.of(parse(yaml).directors())).isNotEmpty();
    }
}
