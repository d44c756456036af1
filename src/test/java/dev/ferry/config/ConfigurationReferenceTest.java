package dev.ferry.config;

import dev.ferry.schedule.Schedulers;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue 15 item 34(c): the key reference ships in the repository (docs/configuration.md), the README links it there,
 * and it lists exactly the keys the readers accept, section by section, and exactly the options each scheduler takes
 * (asked of the registry), so it cannot drift from the code.
 */
class ConfigurationReferenceTest {
    private static final Path REFERENCE = Path.of("docs/configuration.md");
    private static final Pattern HEADING = Pattern.compile("^#{2,3} (.*)$");
    private static final Pattern PATH = Pattern.compile("`([^`]+)`");
    private static final Pattern ROW = Pattern.compile("^\\| `([^`]+)` \\|(?: `([^`]+)` \\|)?");
    private static final String SCHEDULER = "backends[].scheduler";
    private static final Pattern OPTIONS = Pattern.compile("its options are: (.*)$");

    /** What each section of the reference must list: the readers' own key lists. */
    private static Map<String, List<String>> readersKeys() {
        Map<String, List<String>> m = new LinkedHashMap<>();
        m.put("", ConfigReader.KEYS);
        m.put("admin", ConfigReader.ADMIN_KEYS);
        m.put("access_log", ConfigReader.ACCESS_LOG_KEYS);
        m.put("frontends[]", FrontendReader.KEYS);
        m.put("frontends[].timeouts", FrontendReader.TIMEOUT_KEYS);
        m.put("frontends[].tls", FrontendReader.TLS_KEYS);
        m.put("frontends[].tls.certificates[]", FrontendReader.CERTIFICATE_KEYS);
        m.put("frontends[].tls.client_cert_headers", TlsReader.CLIENT_CERT_HEADER_KEYS);
        m.put("frontends[].http", FrontendReader.HTTP_KEYS);
        m.put("frontends[].http.h2", FrontendReader.H2_KEYS);
        m.put("frontends[].udp", FrontendReader.UDP_KEYS);
        m.put("frontends[].rate_limit", AdmissionReader.RATE_LIMIT_KEYS);
        m.put("frontends[].routes[]", RouteReader.KEYS);
        m.put("frontends[].routes[].match", RouteReader.MATCH_KEYS);
        m.put("frontends[].routes[].redirect", RouteActionsReader.REDIRECT_KEYS);
        m.put("frontends[].routes[].return", RouteActionsReader.RETURN_KEYS);
        m.put("frontends[].routes[].request_headers", RouteActionsReader.HEADER_KEYS);
        m.put("frontends[].routes[].response_headers", RouteActionsReader.HEADER_KEYS);
        m.put("frontends[].routes[].path", RouteActionsReader.PATH_KEYS);
        m.put("frontends[].routes[].path.replace_prefix", RouteActionsReader.REPLACE_PREFIX_KEYS);
        m.put("frontends[].routes[].path.regex_replace", RouteActionsReader.REGEX_REPLACE_KEYS);
        m.put("backends[]", BackendReader.KEYS);
        m.put("backends[].http2", BackendReader.HTTP2_KEYS);
        m.put("backends[].servers[]", BackendReader.SERVER_KEYS);
        m.put("backends[].timeouts", BackendReader.TIMEOUT_KEYS);
        m.put("backends[].health_check", HealthCheckReader.KEYS);
        m.put("backends[].outlier", BackendReader.OUTLIER_KEYS);
        m.put("backends[].queue", QueueReader.KEYS);
        m.put("backends[].feedback", FeedbackReader.KEYS);
        m.put("backends[].feedback.coefficients", FeedbackReader.COEFFICIENT_KEYS);
        m.put("backends[].tcp_keepalive", BackendReader.KEEPALIVE_KEYS);
        m.put("backends[].resolver", BackendReader.RESOLVER_KEYS);
        m.put("backends[].tls", UpstreamTlsReader.KEYS);
        m.put("backends[].tls.client_cert", UpstreamTlsReader.CLIENT_CERT_KEYS);
        m.put("dns", DnsReader.KEYS);
        m.put("dns.zones[]", DnsReader.ZONE_KEYS);
        m.put("dns.zones[].records[]", DnsReader.RECORD_KEYS);
        m.put("directors[]", DirectorReader.KEYS);
        m.put("directors[].timeouts", DirectorReader.TIMEOUT_KEYS);
        m.put("directors[].services[]", DirectorReader.SERVICE_KEYS);
        m.put("directors[].services[].persistence", DirectorReader.PERSISTENCE_KEYS);
        m.put("directors[].defense", DirectorReader.DEFENSE_KEYS);
        m.put("directors[].sync", DirectorReader.SYNC_KEYS);
        return m;
    }

    /** Keys documented per section (the first column of each table), and scheduler options as "name option". */
    private static Map<String, Set<String>> documented() throws IOException {
        Map<String, Set<String>> sections = new LinkedHashMap<>();
        String section = null;
        for (String line : Files.readAllLines(REFERENCE)) {
            Matcher h = HEADING.matcher(line);
            if (h.matches()) {
                Matcher p = PATH.matcher(h.group(1));
                section = h.group(1).equals("Top level") ? "" : p.matches() ? p.group(1) : null;
                continue;
            }
            Matcher row = ROW.matcher(line);
            if (section != null && row.find()) {
                String key = section.equals(SCHEDULER) ? row.group(1) + " " + row.group(2) : row.group(1);
                sections.computeIfAbsent(section, s -> new LinkedHashSet<>()).add(key);
            }
        }
        return sections;
    }

    @Test
    void everySectionListsExactlyTheKeysItsReaderAccepts() throws IOException {
        Map<String, Set<String>> documented = documented();
        Map<String, List<String>> expected = readersKeys();

        for (Map.Entry<String, List<String>> e : expected.entrySet()) {
            assertThat(documented.get(e.getKey())).as("keys of section '%s'", e.getKey())
                    .containsExactlyInAnyOrderElementsOf(e.getValue());
        }
        Set<String> sections = new TreeSet<>(documented.keySet());
        sections.remove(SCHEDULER);
        assertThat(sections).as("sections of the reference").containsExactlyInAnyOrderElementsOf(expected.keySet());
    }

    @Test
    void theSchedulerTableListsExactlyEachSchedulersOptions() throws IOException {
        Set<String> fromRegistry = new TreeSet<>();
        for (String name : Schedulers.names()) {
            String answer = Schedulers.problems(new SchedulerConfig(name, Map.of("zz_probe", "1"))).getFirst();
            Matcher options = OPTIONS.matcher(answer);
            if (options.find()) {
                for (String option : options.group(1).split(", ")) {
                    fromRegistry.add(name + " " + option);
                }
            } else {
                assertThat(answer).contains("takes no options");
            }
        }
        assertThat(fromRegistry).as("the registry knows options").isNotEmpty();
        assertThat(new TreeSet<>(documented().get(SCHEDULER))).isEqualTo(fromRegistry);
    }

    @Test
    void theReadmeLinksTheReferenceInsideTheRepository() throws IOException {
        String readme = Files.readString(Path.of("README.md"));
        assertThat(readme).contains("](docs/configuration.md)").doesNotContain("](../");
        assertThat(REFERENCE).isRegularFile();
    }
}
