package dev.ferry.dns;

import dev.ferry.admin.MetricsExporter;
import dev.ferry.config.ConfigLoader;
import dev.ferry.runtime.Balancer;
import dev.ferry.testing.DnsClient;
import io.netty.handler.codec.dns.DnsRecordType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code ferry_dns_queries_total{zone,rcode}} on the Prometheus page, from the responder's own counters. */
@Timeout(60)
class DnsMetricsTest {

    @Test
    void queriesAreCountedByZoneAndResultCode() throws Exception {
        Balancer balancer = new Balancer(ConfigLoader.parse(DnsResponderTest.config(), Path.of("<test>")), 1);
        try (MetricsExporter metrics = new MetricsExporter(balancer)) {
            balancer.start();
            DnsClient dns = new DnsClient(balancer.dnsAddress().orElseThrow());
            dns.udp("mail.example.com", DnsRecordType.A);
            dns.udp("mail.example.com", DnsRecordType.A);
            dns.udp("nope.example.com", DnsRecordType.A);
            dns.udp("www.example.org", DnsRecordType.A);

            assertThat(metrics.scrape())
                    .contains("ferry_dns_queries_total{rcode=\"NOERROR\",zone=\"example.com\"} 2.0")
                    .contains("ferry_dns_queries_total{rcode=\"NXDOMAIN\",zone=\"example.com\"} 1.0")
                    .contains("ferry_dns_queries_total{rcode=\"REFUSED\",zone=\"\"} 1.0");
        } finally {
            balancer.close();
        }
    }
}
