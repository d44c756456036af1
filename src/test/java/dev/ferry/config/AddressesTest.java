package dev.ferry.config;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.net.InetSocketAddress;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class AddressesTest {
    @ParameterizedTest
    @CsvSource({"10.0.0.11:80,10.0.0.11,80", "backend.local:8080,backend.local,8080", "[::1]:80,::1,80",
            "[fd00::1:2]:65535,fd00::1:2,65535", "localhost:1,localhost,1", "' web-1.internal:443 ',web-1.internal,443"})
    void parsesRemoteAddresses(String text, String host, int port) {
        assertThat(Addresses.parseRemote(text)).isEqualTo(new HostPort(host, port));
    }

    @Test
    void listenAddressesMayUsePortZeroButRemoteOnesMayNot() {
        assertThat(Addresses.parseListen("127.0.0.1:0")).isEqualTo(new HostPort("127.0.0.1", 0));
        assertThat(Addresses.parseListen("[::]:0")).isEqualTo(new HostPort("::", 0));
        assertThatThrownBy(() -> Addresses.parseRemote("127.0.0.1:0"))
                .hasMessage("port 0 in '127.0.0.1:0' is out of range; ports are 1..65535");
    }

    @Test
    void ipv6ItselfRoundTripsThroughHostPortToString() {
        HostPort address = Addresses.parseRemote("[::1]:80");
        assertThat(Addresses.parseRemote(address.toString())).isEqualTo(address);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "10.0.0.1|'10.0.0.1' has no port; write HOST:PORT, e.g. 10.0.0.11:80 or [::1]:80",
            "10.0.0.1:|'' in '10.0.0.1:' is not a port; ports are 1..65535",
            "10.0.0.1:http|'http' in '10.0.0.1:http' is not a port; ports are 1..65535",
            "10.0.0.1:65536|port 65536 in '10.0.0.1:65536' is out of range; ports are 1..65535",
            "10.0.0.1:123456|'123456' in '10.0.0.1:123456' is not a port; ports are 1..65535",
            ":80|':80' has no host; write HOST:PORT, e.g. 10.0.0.11:80 or [::1]:80",
            "10.0.0.256:80|'10.0.0.256' in '10.0.0.256:80' is not an IPv4 address; write HOST:PORT, e.g. 10.0.0.11:80 or [::1]:80",
            "::1:80|'::1:80' looks like an IPv6 address without brackets; write it as [::1]:80",
            "[::1]80|'[::1]80' is not an address; write HOST:PORT, e.g. 10.0.0.11:80 or [::1]:80",
            "[zz::1]:80|'zz::1' in '[zz::1]:80' is not an IPv6 address; write HOST:PORT, e.g. 10.0.0.11:80 or [::1]:80",
            "[10.0.0.1]:80|'10.0.0.1' in '[10.0.0.1]:80' is not an IPv6 address; write HOST:PORT, e.g. 10.0.0.11:80 or [::1]:80",
            "bad host:80|'bad host' in 'bad host:80' is neither an IP address nor a host name; write HOST:PORT, e.g. 10.0.0.11:80 or [::1]:80",
            "-web:80|'-web' in '-web:80' is neither an IP address nor a host name; write HOST:PORT, e.g. 10.0.0.11:80 or [::1]:80"})
    void refusesBadAddressesSayingWhatIsAllowed(String text, String message) {
        assertThatThrownBy(() -> Addresses.parseRemote(text)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage(message);
    }

    @Test
    void listenWithoutHostSuggestsTheWildcard() {
        assertThatThrownBy(() -> Addresses.parseListen(":8080")).hasMessage(
                "':8080' has no host; write HOST:PORT, e.g. 0.0.0.0:8080 or [::1]:80 (0.0.0.0 listens on every IPv4 address)");
    }

    /** Issue 17 item 6: formatting lives here too, and parses back to the same address. */
    @Test
    void formatsAsTheConfigurationWritesAndParsesBack() {
        assertThat(Addresses.format(new InetSocketAddress("127.0.0.1", 80))).isEqualTo("127.0.0.1:80");
        assertThat(Addresses.format(new InetSocketAddress("::1", 80))).isEqualTo("[0:0:0:0:0:0:0:1]:80");
        assertThat(Addresses.format(InetSocketAddress.createUnresolved("backend.local", 8080)))
                .isEqualTo("backend.local:8080");
        assertThat(Addresses.format(null)).isEqualTo("null");
        assertThat(Addresses.format("::1", 80)).isEqualTo("[::1]:80");
        assertThat(new HostPort("fd00::1", 443)).hasToString("[fd00::1]:443");
        for (String text : new String[] {"10.0.0.11:80", "[::1]:80", "backend.local:8080"}) {
            HostPort parsed = Addresses.parseRemote(text);
            assertThat(Addresses.format(parsed.host(), parsed.port())).isEqualTo(text);
        }
    }

    /** The director's rule (formerly DirectorAddresses): a real server must be an IPv4 literal. */
    @Test
    void aDirectorsRealServerMustBeAnIpv4Literal() {
        assertThat(Addresses.isIpv4("10.101.0.11")).isTrue();
        assertThat(Addresses.isIpv4("256.1.1.1")).isFalse();
        assertThat(Addresses.isIpv4("web.local")).isFalse();
        assertThat(Addresses.isIpv4(null)).isFalse();
        assertThat(Addresses.directorServerProblem("a", "web", new HostPort("10.0.0.1", 80))).isEmpty();
        assertThat(Addresses.directorServerProblem("a", "web", new HostPort("web.local", 80))).contains(
                "server 'a' of backend 'web' must have an IPv4 address (the director rewrites packets to it), not"
                        + " web.local; e.g. address: 10.101.0.11:80");
        assertThat(Addresses.directorServerProblem("b", "web", null)).get().asString()
                .contains("not a DNS SRV name");
    }
}
