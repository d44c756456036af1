package dev.ferry.dns;

import dev.ferry.config.ConfigLoader;
import dev.ferry.runtime.Balancer;
import dev.ferry.testing.DnsClient;
import dev.ferry.testing.DnsClient.Reply;
import io.netty.handler.codec.dns.DnsRecordType;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The responder's answers against the RFCs, with raw packets over real sockets (issue 15, items 13 and 21): labels
 * kept as labels, malformed queries refused with FORMERR, EDNS answered as RFC 6891 and RFC 3225 say, names
 * compressed, additional records dropped before truncating, CNAME chains that end negative or loop.
 */
@Timeout(60)
class DnsWireTest {
    private static final String CONFIG = """
            backends:
              - name: four
                servers:
                  - { name: server-one, address: 127.0.0.21:8080 }
                  - { name: server-two, address: 127.0.0.22:8080 }
                  - { name: server-three, address: 127.0.0.23:8080 }
                  - { name: server-four, address: 127.0.0.24:8080 }
              - name: forty
                servers:
            %s
            dns:
              listen: 127.0.0.1:0
              zones:
                - origin: example.com
                  records:
                    - { name: mail, type: A, value: 192.0.2.25 }
                    - { name: _http._tcp.four, type: SRV, backend: four }
                    - { name: _http._tcp.forty, type: SRV, backend: forty }
                    - { name: dangling, type: CNAME, value: nothere.example.com }
                    - { name: nodata, type: CNAME, value: mail.example.com }
                    - { name: loop1, type: CNAME, value: loop2.example.com }
                    - { name: loop2, type: CNAME, value: loop1.example.com }
            """;

    private Balancer balancer;
    private DnsClient dns;
    private InetSocketAddress address;

    @BeforeEach
    void start() throws Exception {
        StringBuilder forty = new StringBuilder();
        for (int i = 1; i <= 20; i++) {
            forty.append("          - { name: s").append(i).append(", address: 10.0.1.").append(i).append(":80 }\n");
        }
        balancer = new Balancer(ConfigLoader.parse(CONFIG.formatted(forty.toString().stripTrailing()),
                Path.of("<test>")), 2);
        balancer.start();
        address = balancer.dnsAddress().orElseThrow();
        dns = new DnsClient(address);
    }

    @AfterEach
    void stop() {
        balancer.close();
    }

    /** A query: header (RD set) and one question with the given wire labels, then {@code rest} verbatim. */
    private static byte[] query(int id, int arcount, byte[][] labels, int type, byte... rest) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(new byte[]{(byte) (id >> 8), (byte) id, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, (byte) arcount});
        for (byte[] label : labels) {
            out.write(label.length);
            out.writeBytes(label);
        }
        out.writeBytes(new byte[]{0, (byte) (type >> 8), (byte) type, 0, 1});
        out.writeBytes(rest);
        return out.toByteArray();
    }

    private static byte[][] labels(String... labels) {
        return Arrays.stream(labels).map(l -> l.getBytes(StandardCharsets.ISO_8859_1)).toArray(byte[][]::new);
    }

    /** An OPT record: payload 4096, the DO bit as given, no options. */
    private static byte[] opt(boolean dnssecOk) {
        return new byte[]{0, 0, 41, 0x10, 0, 0, 0, (byte) (dnssecOk ? 0x80 : 0), 0, 0, 0};
    }

    private byte[] udp(byte[] query) {
        byte[] reply = dns.raw(query, 5_000);
        assertThat(reply).as("a reply").isNotNull();
        return reply;
    }

    private static int rcode(byte[] reply) {
        return reply[3] & 0xf;
    }

    private static int count(byte[] reply, int index) {
        return (reply[4 + 2 * index] & 0xff) << 8 | reply[5 + 2 * index] & 0xff;
    }

    @Test
    void aLabelHoldingADotIsOneLabelAndLiesOutsideTheZone() {
        // www\.example.com: the labels "www.example" and "com"; Netty's codec read it as www.example.com.
        byte[] reply = udp(query(1, 0, labels("mail.example", "com"), 1));
        assertThat(rcode(reply)).as("REFUSED, as NSD and Knot").isEqualTo(Answer.REFUSED);
        assertThat(count(reply, 1)).isZero();
        byte[] inside = udp(query(2, 0, labels("mail.x", "example", "com"), 1));
        assertThat(rcode(inside)).as("mail\\.x.example.com is not mail.x.example.com").isEqualTo(Answer.NXDOMAIN);
    }

    @Test
    void labelsWithBytesOutsideAsciiAreBytesEchoedAsTheyCame() {
        byte[] query = query(3, 0, labels("caf\u00e9\u00ff", "example", "com"), 1);
        byte[] reply = udp(query);
        assertThat(rcode(reply)).isEqualTo(Answer.NXDOMAIN);
        assertThat(Arrays.copyOfRange(reply, 12, query.length)).as("the question, byte for byte")
                .isEqualTo(Arrays.copyOfRange(query, 12, query.length));
        assertThat(count(reply, 2)).as("the SOA").isEqualTo(1);
    }

    @Test
    void malformedQueriesGetFormerr() {
        // A 256-octet name: four labels of 63 octets and one of 2 (4 * 64 + 3 + 1 = 260 > 255).
        String l63 = "a".repeat(63);
        byte[] longName = udp(query(4, 0, labels(l63, l63, l63, l63, "ab"), 1));
        assertThat(rcode(longName)).isEqualTo(Answer.FORMERR);
        assertThat(count(longName, 0)).as("no question echoed").isZero();

        // The header announces an additional record that is not there.
        byte[] beyond = udp(query(5, 1, labels("mail", "example", "com"), 1));
        assertThat(rcode(beyond)).isEqualTo(Answer.FORMERR);

        // Two OPT records (RFC 6891 section 6.1.1); the reply carries OPT.
        byte[] twoOpt = concat(opt(false), opt(false));
        byte[] reply = udp(query(6, 2, labels("mail", "example", "com"), 1, twoOpt));
        assertThat(rcode(reply)).isEqualTo(Answer.FORMERR);
        assertThat(count(reply, 3)).as("OPT in the FORMERR").isEqualTo(1);
        assertThat(balancer.dns().orElseThrow().stats().queries(DnsStats.NO_ZONE, "FORMERR")).isEqualTo(3);
        assertThat(dns.udp("mail.example.com", DnsRecordType.A).answerData()).containsExactly("192.0.2.25");
    }

    @Test
    void formerrToAQueryWithOptCarriesOpt() {
        // Two questions and an OPT record.
        byte[] query = {0, 7, 1, 0, 0, 2, 0, 0, 0, 0, 0, 1, 0, 0, 1, 0, 1, 0, 0, 1, 0, 1, 0, 0, 41, 0x10, 0, 0, 0, 0,
                0, 0, 0};
        byte[] reply = udp(query);
        assertThat(rcode(reply)).isEqualTo(Answer.FORMERR);
        assertThat(count(reply, 3)).isEqualTo(1);
        assertThat(reply[reply.length - 11 + 2] & 0xff).as("an OPT record").isEqualTo(41);
    }

    @Test
    void theDnssecOkBitIsCopied() {
        byte[] withDo = udp(query(8, 1, labels("mail", "example", "com"), 1, opt(true)));
        assertThat(withDo[withDo.length - 11 + 7] & 0x80).as("DO in the reply's OPT").isEqualTo(0x80);
        byte[] withoutDo = udp(query(9, 1, labels("mail", "example", "com"), 1, opt(false)));
        assertThat(withoutDo[withoutDo.length - 11 + 7] & 0x80).isZero();
    }

    @Test
    void answersAreCompressed() {
        byte[] reply = udp(query(10, 0, labels("mail", "example", "com"), 1));
        // header 12 + question 22 + one A record with a pointer for its owner (2 + 10 + 4).
        assertThat(reply).hasSize(12 + 22 + 16);
        assertThat(DnsClient.decode(reply).answers()).singleElement()
                .satisfies(r -> assertThat(r.name()).isEqualTo("mail.example.com."));
    }

    @Test
    void srvAnswersFitAndDropAdditionalRecordsBeforeTruncating() {
        byte[] four = udp(query(11, 0, labels("_http", "_tcp", "four", "example", "com"), 33));
        Reply reply = DnsClient.decode(four);
        assertThat(reply.truncated()).isFalse();
        assertThat(reply.answers()).hasSize(4);
        assertThat(reply.additional()).hasSize(4);
        assertThat(four.length).as("a 4-server SRV answer fits 512 bytes").isLessThanOrEqualTo(512);

        // 20 SRV records fit 1232 bytes, with their 20 A records they do not: the additional section goes, TC stays clear.
        Reply forty = dns.udp("_http._tcp.forty.example.com", DnsRecordType.SRV, 1232);
        assertThat(forty.truncated()).as("only additional data is missing: no TC (RFC 2181 section 9)").isFalse();
        assertThat(forty.answers()).hasSize(20);
        assertThat(forty.additional()).extracting(DnsClient.Rr::type).containsExactly("OPT");
    }

    @Test
    void aNegativeAnswerReachedThroughACnameCarriesTheSoa() {
        Reply dangling = dns.udp("dangling.example.com", DnsRecordType.A);
        assertThat(dangling.rcode()).isEqualTo("NXDOMAIN");
        assertThat(dangling.answers()).extracting(DnsClient.Rr::type).containsExactly("CNAME");
        assertThat(dangling.authority()).extracting(DnsClient.Rr::type).containsExactly("SOA");

        Reply nodata = dns.udp("nodata.example.com", DnsRecordType.TXT);
        assertThat(nodata.rcode()).isEqualTo("NOERROR");
        assertThat(nodata.answers()).extracting(DnsClient.Rr::type).containsExactly("CNAME");
        assertThat(nodata.authority()).extracting(DnsClient.Rr::type).containsExactly("SOA");
    }

    @Test
    void aCnameLoopIsAnsweredOnce() {
        Reply loop = dns.udp("loop1.example.com", DnsRecordType.A);
        assertThat(loop.answers()).extracting(DnsClient.Rr::name, DnsClient.Rr::data).containsExactly(
                org.assertj.core.groups.Tuple.tuple("loop1.example.com.", "loop2.example.com."),
                org.assertj.core.groups.Tuple.tuple("loop2.example.com.", "loop1.example.com."));
    }

    @Test
    void tcpQueriesOf65534And65535BytesAreAnswered() throws Exception {
        for (int size : List.of(65_534, 65_535)) {
            // mail.example.com A with an OPT record whose padding option (RFC 7830) fills the message to size.
            byte[] head = query(12, 1, labels("mail", "example", "com"), 1);
            int padding = size - head.length - 11 - 4;
            ByteArrayOutputStream query = new ByteArrayOutputStream();
            query.writeBytes(head);
            int rdlength = 4 + padding;
            query.writeBytes(new byte[]{0, 0, 41, 0x10, 0, 0, 0, 0, 0, (byte) (rdlength >> 8), (byte) rdlength,
                    0, 12, (byte) (padding >> 8), (byte) padding});
            query.writeBytes(new byte[padding]);
            byte[] message = query.toByteArray();
            assertThat(message).hasSize(size);
            try (Socket s = new Socket()) {
                s.connect(address, 5_000);
                s.setSoTimeout(5_000);
                DataOutputStream out = new DataOutputStream(s.getOutputStream());
                out.writeShort(message.length);
                out.write(message);
                out.flush();
                DataInputStream in = new DataInputStream(s.getInputStream());
                byte[] reply = new byte[in.readUnsignedShort()];
                in.readFully(reply);
                assertThat(DnsClient.decode(reply).answerData()).as("%d bytes", size).containsExactly("192.0.2.25");
            }
        }
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] both = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, both, a.length, b.length);
        return both;
    }
}
