package dev.ferry.dns;

import dev.ferry.config.ConfigLoader;
import dev.ferry.runtime.Balancer;
import dev.ferry.testing.Requirements;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** The DNS responder asked by a real resolver client: dig, from Debian's dnsutils (.ci/run installs it). */
@Timeout(120)
class DigTest {
    private Balancer balancer;
    private InetSocketAddress address;

    @BeforeEach
    void start() throws Exception {
        Requirements.require(Requirements.runs("dig", "-v"), "dig (apt-get install dnsutils)");
        balancer = new Balancer(ConfigLoader.parse(DnsResponderTest.config(), Path.of("<test>")), 2);
        balancer.start();
        address = balancer.dnsAddress().orElseThrow();
    }

    @AfterEach
    void stop() {
        if (balancer != null) {
            balancer.close();
        }
    }


    private String dig(String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of("dig", "@" + address.getAddress().getHostAddress(), "-p",
                String.valueOf(address.getPort()), "+time=3", "+tries=1"));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).as("dig finished").isTrue();
        return out;
    }

    @Test
    void weightedAnswersRotateBetweenQueries() throws Exception {
        Map<String, Integer> counts = new TreeMap<>();
        for (int i = 0; i < 8; i++) {
            counts.merge(dig("+short", "www.example.com", "A").strip(), 1, Integer::sum);
        }
        assertThat(counts).isEqualTo(Map.of("127.0.0.11", 6, "127.0.0.12", 2));
    }

    @Test
    void srvRecordsAsDigReadsThem() throws Exception {
        assertThat(dig("+short", "_http._tcp.www.example.com", "SRV").lines().toList()).containsExactlyInAnyOrder(
                "10 3 80 web1._http._tcp.www.example.com.",
                "10 1 8080 web2._http._tcp.www.example.com.",
                "10 2 80 web3._http._tcp.www.example.com.");
    }

    @Test
    void nxdomainInsideTheZoneAndRefusedOutside() throws Exception {
        String nx = dig("nope.example.com", "A");
        assertThat(nx).contains("status: NXDOMAIN").contains("flags: qr aa rd;");
        assertThat(nx).containsPattern("example\\.com\\.\\s+30\\s+IN\\s+SOA\\s+ns\\.example\\.com\\. "
                + "hostmaster\\.example\\.com\\.");
        assertThat(dig("www.example.org", "A")).contains("status: REFUSED");
        assertThat(dig("example.com", "AXFR")).as("no zone transfers").contains("Transfer failed");
    }

    @Test
    void digRetriesOverTcpWhenTheAnswerIsTruncated() throws Exception {
        String out = dig("+noedns", "many.example.com", "A");
        assertThat(out).contains(";; Truncated, retrying in TCP mode.").contains("status: NOERROR")
                .contains("ANSWER: 30,");
        assertThat(dig("+bufsize=1232", "many.example.com", "A")).doesNotContain("Truncated")
                .contains("ANSWER: 30,").contains("udp: 1232");
    }

    @Test
    void aLabelWithADotStaysOneLabelAndTheDoBitComesBack() throws Exception {
        String escaped = dig("mail\\.example.com", "A");
        assertThat(escaped).as("labels mail.example and com: outside the zone, as NSD and Knot")
                .contains("status: REFUSED").contains("mail\\.example.com.");
        assertThat(dig("+dnssec", "mail.example.com", "A")).containsPattern("flags: do;");
    }
}
