package dev.ferry.dns;

import dev.ferry.backend.Backend;
import dev.ferry.backend.Server;
import dev.ferry.backend.ServerState;
import dev.ferry.config.ConfigLoader;
import dev.ferry.config.FerryConfig;
import dev.ferry.runtime.Balancer;
import dev.ferry.testing.DnsClient;
import dev.ferry.testing.DnsClient.Reply;
import io.netty.handler.codec.dns.DnsRecordType;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/** The DNS responder through real sockets, asked by a Java client built on Netty's DNS codec. */
@Timeout(60)
class DnsResponderTest {
    static final String CONFIG = """
            frontends: [ { name: front, listen: 127.0.0.1:0, backend: web } ]
            backends:
              - name: web
                servers:
                  - { name: web1, address: 127.0.0.11:80, weight: 3 }
                  - { name: web2, address: 127.0.0.12:8080, weight: 1 }
                  - { name: web3, address: "[::1]:80", weight: 2 }
              - name: big
                servers:
            %s
            dns:
              listen: 127.0.0.1:0
              zones:
                - origin: example.com
                  ttl: 30
                  records:
                    - { name: www, type: A, backend: web, answers: 1 }
                    - { name: all, type: A, backend: web }
                    - { name: www, type: AAAA, backend: web }
                    - { name: _http._tcp.www, type: SRV, backend: web, priority: 10 }
                    - { name: many, type: A, backend: big }
                    - { name: mail, type: A, value: 192.0.2.25, ttl: 300 }
                    - { name: docs, type: CNAME, value: www.example.com }
                    - { name: away, type: CNAME, value: www.example.net }
                    - { name: "@", type: TXT, value: "v=spf1 -all" }
                    - { name: _sip._udp, type: SRV, priority: 5, weight: 7, port: 5060, target: sip.example.net }
                - origin: sub.example.com
                  records:
                    - { name: "@", type: A, value: 192.0.2.99 }
            """;

    private Balancer balancer;
    private DnsClient dns;

    static String config() {
        StringBuilder big = new StringBuilder();
        for (int i = 1; i <= 30; i++) {
            big.append("          - { name: b").append(i).append(", address: 10.0.0.").append(i).append(":80 }\n");
        }
        return CONFIG.formatted(big.toString().stripTrailing());
    }

    @BeforeEach
    void start() throws Exception {
        FerryConfig config = ConfigLoader.parse(config(), Path.of("<test>"));
        balancer = new Balancer(config, 2);
        balancer.start();
        dns = new DnsClient(balancer.dnsAddress().orElseThrow());
    }

    @AfterEach
    void stop() {
        balancer.close();
    }

    private Backend web() {
        return balancer.backends().get("web");
    }

    private DnsStats stats() {
        return balancer.dns().orElseThrow().stats();
    }

    @Test
    void aRecordsOfABackendComeFirstInProportionToWeightAndRotate() {
        Map<String, Integer> first = new HashMap<>();
        String previous = null;
        int changes = 0;
        for (int i = 0; i < 40; i++) {
            Reply reply = dns.udp("www.example.com", DnsRecordType.A);
            assertThat(reply.rcode()).isEqualTo("NOERROR");
            assertThat(reply.authoritative()).isTrue();
            assertThat(reply.answers()).hasSize(1);
            assertThat(reply.answers().getFirst().ttl()).isEqualTo(30);
            String address = reply.answerData().getFirst();
            first.merge(address, 1, Integer::sum);
            if (previous != null && !previous.equals(address)) {
                changes++;
            }
            previous = address;
        }
        // Only the IPv4 servers answer an A query: weights 3 and 1, exactly over whole rounds.
        assertThat(first).isEqualTo(Map.of("127.0.0.11", 30, "127.0.0.12", 10));
        assertThat(changes).as("smooth rotation interleaves the servers").isGreaterThanOrEqualTo(19);
    }

    @Test
    void withoutAnAnswerLimitEveryServerIsListedStartingFromARotatingOne() {
        Set<List<String>> orders = new HashSet<>();
        for (int i = 0; i < 4; i++) {
            List<String> answer = dns.udp("all.example.com", DnsRecordType.A).answerData();
            assertThat(answer).containsExactlyInAnyOrder("127.0.0.11", "127.0.0.12");
            orders.add(answer);
        }
        assertThat(orders).hasSize(2);
        assertThat(dns.udp("www.example.com", DnsRecordType.AAAA).answerData()).containsExactly("0:0:0:0:0:0:0:1");
    }

    @Test
    void onlyHealthyServersAreAnsweredAndAllOfThemWhenNoneIsUp() {
        Server web1 = web().server("web1").orElseThrow();
        Server web2 = web().server("web2").orElseThrow();
        web().setHealthy(web1, false);
        for (int i = 0; i < 6; i++) {
            assertThat(dns.udp("all.example.com", DnsRecordType.A).answerData()).containsExactly("127.0.0.12");
        }
        assertThat(stats().allServersDown()).isZero();

        web().setHealthy(web2, false);
        assertThat(dns.udp("all.example.com", DnsRecordType.A).answerData())
                .as("every server is down: answer with all rather than nothing")
                .containsExactlyInAnyOrder("127.0.0.11", "127.0.0.12");
        assertThat(stats().allServersDown()).isEqualTo(1);

        web().setHealthy(web1, true);
        web().setState(web1, ServerState.DRAIN);
        assertThat(dns.udp("all.example.com", DnsRecordType.A).answerData())
                .as("a draining server takes nothing new; with no other server up, fail open")
                .containsExactlyInAnyOrder("127.0.0.11", "127.0.0.12");
    }

    @Test
    void srvRecordsCarryPriorityWeightPortAndTargetsWithTheirAddresses() {
        Reply reply = dns.udp("_http._tcp.www.example.com", DnsRecordType.SRV);
        assertThat(reply.answerData()).containsExactlyInAnyOrder(
                "10 3 80 web1._http._tcp.www.example.com.",
                "10 1 8080 web2._http._tcp.www.example.com.",
                "10 2 80 web3._http._tcp.www.example.com.");
        assertThat(reply.additional()).extracting(DnsClient.Rr::name, DnsClient.Rr::data).containsExactlyInAnyOrder(
                org.assertj.core.groups.Tuple.tuple("web1._http._tcp.www.example.com.", "127.0.0.11"),
                org.assertj.core.groups.Tuple.tuple("web2._http._tcp.www.example.com.", "127.0.0.12"),
                org.assertj.core.groups.Tuple.tuple("web3._http._tcp.www.example.com.", "0:0:0:0:0:0:0:1"));
        assertThat(dns.udp("web2._http._tcp.www.example.com", DnsRecordType.A).answerData())
                .containsExactly("127.0.0.12");
        assertThat(dns.udp("_sip._udp.example.com", DnsRecordType.SRV).answerData())
                .containsExactly("5 7 5060 sip.example.net.");
    }

    @Test
    void staticRecordsCnamesAndTheApex() {
        assertThat(dns.udp("MAIL.Example.com", DnsRecordType.A).answers()).singleElement()
                .satisfies(r -> {
                    assertThat(r.data()).isEqualTo("192.0.2.25");
                    assertThat(r.ttl()).isEqualTo(300);
                    assertThat(r.name()).as("the name echoes the question's case").isEqualTo("MAIL.Example.com.");
                });
        Reply docs = dns.udp("docs.example.com", DnsRecordType.A);
        assertThat(docs.answers()).extracting(DnsClient.Rr::type).containsExactly("CNAME", "A");
        assertThat(docs.answerData().getFirst()).isEqualTo("www.example.com.");
        assertThat(dns.udp("away.example.com", DnsRecordType.A).answerData())
                .as("a CNAME out of the zone is left to the client's resolver").containsExactly("www.example.net.");
        assertThat(dns.udp("example.com", DnsRecordType.TXT).answerData()).containsExactly("v=spf1 -all");
        assertThat(dns.udp("example.com", DnsRecordType.NS).answerData()).containsExactly("ns.example.com.");
        Reply soa = dns.udp("example.com", DnsRecordType.SOA);
        assertThat(soa.answerData()).singleElement().asString()
                .matches("ns\\.example\\.com\\. hostmaster\\.example\\.com\\. \\d+ 3600 600 86400 30");
        assertThat(dns.udp("sub.example.com", DnsRecordType.A).answerData())
                .as("the longest zone answers for its names").containsExactly("192.0.2.99");
    }

    @Test
    void nxdomainInsideAZoneNodataForOtherTypesRefusedOutside() {
        Reply missing = dns.udp("nope.example.com", DnsRecordType.A);
        assertThat(missing.rcode()).isEqualTo("NXDOMAIN");
        assertThat(missing.authoritative()).isTrue();
        assertThat(missing.authority()).extracting(DnsClient.Rr::type).containsExactly("SOA");

        Reply nodata = dns.udp("mail.example.com", DnsRecordType.TXT);
        assertThat(nodata.rcode()).isEqualTo("NOERROR");
        assertThat(nodata.answers()).isEmpty();
        assertThat(nodata.authority()).extracting(DnsClient.Rr::type).containsExactly("SOA");

        Reply between = dns.udp("_tcp.www.example.com", DnsRecordType.A);
        assertThat(between.rcode()).as("an empty non-terminal exists").isEqualTo("NOERROR");

        Reply outside = dns.udp("www.example.org", DnsRecordType.A);
        assertThat(outside.rcode()).isEqualTo("REFUSED");
        assertThat(outside.authoritative()).isFalse();
        assertThat(outside.answers()).isEmpty();

        assertThat(stats().queries("example.com", "NXDOMAIN")).isEqualTo(1);
        assertThat(stats().queries("example.com", "NOERROR")).isEqualTo(2);
        assertThat(stats().queries(DnsStats.NO_ZONE, "REFUSED")).isEqualTo(1);
    }

    @Test
    void anAnswerTooBigForUdpIsTruncatedAndTheClientRetriesOverTcp() {
        Reply udp = dns.udp("many.example.com", DnsRecordType.A);
        assertThat(udp.truncated()).isTrue();
        assertThat(udp.answers()).isEmpty();
        assertThat(stats().truncated()).isEqualTo(1);

        Reply resolved = dns.resolve("many.example.com", DnsRecordType.A);
        assertThat(resolved.truncated()).isFalse();
        assertThat(resolved.answers()).hasSize(30);
        assertThat(stats().tcpQueries()).isEqualTo(1);

        Reply edns = dns.udp("many.example.com", DnsRecordType.A, 4096);
        assertThat(edns.truncated()).as("30 A records fit Ferry's 1232-byte EDNS payload").isFalse();
        assertThat(edns.answers()).hasSize(30);
        assertThat(edns.additional()).extracting(DnsClient.Rr::type).containsExactly("OPT");
    }

    @Test
    void malformedQueriesGetFormerrOrAreDroppedAndTheResponderCarriesOn() {
        assertThat(dns.raw(new byte[]{1, 2, 3}, 300)).as("shorter than a header: dropped").isNull();
        // A header announcing one question, then a name whose label runs past the end of the datagram.
        byte[] broken = {0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 63, 'w', 'w'};
        Reply formerr = DnsClient.decode(dns.raw(broken, 5_000));
        assertThat(formerr.id()).isEqualTo(0x1234);
        assertThat(formerr.rcode()).isEqualTo("FORMERR");
        byte[] response = {0x12, 0x35, (byte) 0x81, 0x00, 0, 0, 0, 0, 0, 0, 0, 0};
        assertThat(dns.raw(response, 300)).as("a response is never answered").isNull();
        byte[] twoQuestions = {0x12, 0x36, 0x01, 0x00, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1, 0, 0, 1, 0, 1};
        assertThat(DnsClient.decode(dns.raw(twoQuestions, 5_000)).rcode()).isEqualTo("FORMERR");

        Random random = new Random(42);
        for (int i = 0; i < 300; i++) {
            byte[] garbage = new byte[12 + random.nextInt(60)];
            random.nextBytes(garbage);
            garbage[2] &= 0x7f; // a query, so that it gets parsed rather than dropped
            dns.raw(garbage, 5);
        }
        assertThat(dns.udp("mail.example.com", DnsRecordType.A).answerData()).containsExactly("192.0.2.25");
        assertThat(stats().dropped()).isGreaterThanOrEqualTo(2);
        assertThat(stats().queries(DnsStats.NO_ZONE, "FORMERR")).isGreaterThanOrEqualTo(2);
    }

    @Test
    void ednsVersionsAbove0GetBadvers() {
        // dig +edns=1: an OPT record with version 1.
        byte[] query = {0x22, 0x22, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 1,
                4, 'm', 'a', 'i', 'l', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'c', 'o', 'm', 0, 0, 1, 0, 1,
                0, 0, 41, 0x10, 0, 0, 1, 0, 0, 0, 0};
        byte[] reply = dns.raw(query, 5_000);
        assertThat(reply[3] & 0xf).as("low bits of BADVERS (16) in the header").isZero();
        assertThat(DnsClient.decode(reply).additional()).extracting(DnsClient.Rr::type).containsExactly("OPT");
        assertThat(stats().queries(DnsStats.NO_ZONE, "BADVERS")).isEqualTo(1);
    }
}
