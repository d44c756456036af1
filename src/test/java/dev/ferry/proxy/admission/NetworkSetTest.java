package dev.ferry.proxy.admission;

import dev.ferry.config.AccessRules;
import dev.ferry.config.Cidr;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The compiled network matcher and the access policy over it: both families, edges of ranges, merging, deny wins. */
class NetworkSetTest {
    private static NetworkSet set(String... networks) {
        return new NetworkSet(Stream.of(networks).map(Cidr::parse).toList());
    }

    private static InetAddress ip(String literal) throws Exception {
        return InetAddress.getByName(literal);
    }

    @Test
    void ipv4NetworksMatchTheirFirstAndLastAddressAndNothingBeyond() throws Exception {
        NetworkSet s = set("10.0.0.0/8", "192.168.1.7", "172.16.0.0/12");
        assertThat(s.contains(ip("10.0.0.0"))).isTrue();
        assertThat(s.contains(ip("10.255.255.255"))).isTrue();
        assertThat(s.contains(ip("11.0.0.0"))).isFalse();
        assertThat(s.contains(ip("9.255.255.255"))).isFalse();
        assertThat(s.contains(ip("192.168.1.7"))).isTrue();
        assertThat(s.contains(ip("192.168.1.8"))).isFalse();
        assertThat(s.contains(ip("172.31.255.255"))).isTrue();
        assertThat(s.contains(ip("172.32.0.0"))).isFalse();
        assertThat(s.contains(ip("255.255.255.255"))).isFalse();
        assertThat(s.contains(ip("0.0.0.0"))).isFalse();
    }

    @Test
    void ipv6NetworksAndSingleAddresses() throws Exception {
        NetworkSet s = set("2001:db8::/32", "::1", "[fe80::1]/128");
        assertThat(s.contains(ip("2001:db8::"))).isTrue();
        assertThat(s.contains(ip("2001:db8:ffff:ffff:ffff:ffff:ffff:ffff"))).isTrue();
        assertThat(s.contains(ip("2001:db9::"))).isFalse();
        assertThat(s.contains(ip("::1"))).isTrue();
        assertThat(s.contains(ip("::2"))).isFalse();
        assertThat(s.contains(ip("fe80::1"))).isTrue();
        assertThat(s.contains(ip("127.0.0.1"))).as("no IPv4 in an IPv6-only set").isFalse();
    }

    @Test
    void anIpv4NetworkMatchesTheIpv4MappedFormOfItsAddresses() throws Exception {
        NetworkSet s = set("127.0.0.0/8");
        // Java hands mapped literals over as Inet4Address; the 128-bit form is what a raw IPv6 socket would report.
        long mappedLow = Cidr.V4_MAPPED_LOW_PREFIX | 0x7f000002L;
        assertThat(s.contains(0, mappedLow)).isTrue();
        assertThat(s.contains(ip("::ffff:127.0.0.3"))).isTrue();
        assertThat(s.contains(ip("::7f00:2"))).as("IPv4-compatible is not IPv4-mapped").isFalse();
    }

    @Test
    void everythingAndOverlapsMergeIntoFewRanges() throws Exception {
        NetworkSet all = set("0.0.0.0/0", "::/0");
        assertThat(all.contains(ip("8.8.8.8"))).isTrue();
        assertThat(all.contains(ip("2001:db8::5"))).isTrue();
        NetworkSet nested = set("10.0.0.0/8", "10.1.0.0/16", "10.1.2.3", "10.0.0.0/8", "11.0.0.0/8");
        assertThat(nested.ranges()).as("nested and repeated networks merge; adjacent ones may stay apart")
                .isLessThanOrEqualTo(2);
        assertThat(nested.contains(ip("10.1.2.3"))).isTrue();
        assertThat(nested.contains(ip("11.200.0.1"))).isTrue();
        assertThat(nested.contains(ip("12.0.0.0"))).isFalse();
        assertThat(NetworkSet.EMPTY.contains(ip("1.2.3.4"))).isFalse();
    }

    @Test
    void hostBitsBelowThePrefixAreCleared() throws Exception {
        assertThat(set("10.1.2.3/8").contains(ip("10.200.0.1"))).isTrue();
        assertThat(Cidr.parse("10.1.2.3/8")).isEqualTo(Cidr.parse("10.1.2.3/8"));
    }

    @Test
    void anIpv4AddressIsReadWithoutACopyFromItsHashCode() throws Exception {
        for (String literal : List.of("0.0.0.0", "127.0.0.2", "10.20.30.40", "255.255.255.255", "192.168.0.1")) {
            byte[] b = ip(literal).getAddress();
            int expected = (b[0] & 0xff) << 24 | (b[1] & 0xff) << 16 | (b[2] & 0xff) << 8 | (b[3] & 0xff);
            assertThat(NetworkSet.ipv4(ip(literal))).as(literal).isEqualTo(expected);
        }
    }

    @Test
    void badNetworksAreRefusedWithWhatIsAllowed() {
        assertThatThrownBy(() -> Cidr.parse("example.com")).hasMessageContaining("no host names");
        assertThatThrownBy(() -> Cidr.parse("10.0.0.0/33")).hasMessageContaining("0..32");
        assertThatThrownBy(() -> Cidr.parse("::/129")).hasMessageContaining("0..128");
        assertThatThrownBy(() -> Cidr.parse("10.0.0/8")).hasMessageContaining("not a network");
        assertThatThrownBy(() -> Cidr.parse("10.0.0.0/x")).hasMessageContaining("prefix length");
    }

    @Test
    void denyWinsAndAnAllowListAdmitsOnlyItsNetworks() throws Exception {
        AccessRules rules = new AccessRules(List.of(Cidr.parse("127.0.0.0/8")), List.of(Cidr.parse("127.0.0.3")),
                Optional.empty(), Optional.empty(), true);
        AccessPolicy p = AccessPolicy.of(rules);
        assertThat(p.admits(ip("127.0.0.2"))).isTrue();
        assertThat(p.admits(ip("127.0.0.3"))).as("denied inside the allowed network").isFalse();
        assertThat(p.admits(ip("10.0.0.1"))).as("outside the allow list").isFalse();

        AccessPolicy denyOnly = AccessPolicy.of(new AccessRules(List.of(), List.of(Cidr.parse("::1")),
                Optional.empty(), Optional.empty(), false));
        assertThat(denyOnly.admits(ip("::1"))).isFalse();
        assertThat(denyOnly.admits(ip("127.0.0.1"))).isTrue();

        AccessPolicy emptyAllow = AccessPolicy.of(new AccessRules(List.of(), List.of(), Optional.empty(),
                Optional.empty(), true));
        assertThat(emptyAllow.admits(ip("127.0.0.1"))).as("an empty allow list lets nobody in").isFalse();
        assertThat(AccessPolicy.of(AccessRules.NONE)).isSameAs(AccessPolicy.ALL);
    }
}
