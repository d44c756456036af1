package dev.ferry.director;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Reading the kernel's neighbour table as {@code /proc/net/arp} prints it. */
class NeighboursTest {
    private static final List<String> TABLE = List.of(
            "IP address       HW type     Flags       HW address            Mask     Device",
            "10.100.0.11      0x1         0x2         02:aa:bb:cc:dd:11     *        d0",
            "10.100.0.12      0x1         0x0         00:00:00:00:00:00     *        d0",
            "10.100.0.13      0x1         0x2         02:aa:bb:cc:dd:13     *        eth1",
            "10.100.0.14      0x1         0x6         02:aa:bb:cc:dd:14     *        d0");

    @Test
    void aCompleteEntryOnTheInterfaceGivesItsMac() {
        assertThat(Neighbours.ArpTable.find(TABLE, "d0", TestPackets.ip("10.100.0.11"))).isEqualTo(0x02aabbccdd11L);
        assertThat(Neighbours.ArpTable.find(TABLE, "d0", TestPackets.ip("10.100.0.14")))
                .as("complete and permanent").isEqualTo(0x02aabbccdd14L);
    }

    @Test
    void anIncompleteEntryAnotherInterfacesOrNoneIsUnknown() {
        assertThat(Neighbours.ArpTable.find(TABLE, "d0", TestPackets.ip("10.100.0.12"))).isEqualTo(Neighbours.UNKNOWN);
        assertThat(Neighbours.ArpTable.find(TABLE, "d0", TestPackets.ip("10.100.0.13"))).isEqualTo(Neighbours.UNKNOWN);
        assertThat(Neighbours.ArpTable.find(TABLE, "d0", TestPackets.ip("10.100.0.99"))).isEqualTo(Neighbours.UNKNOWN);
    }

    @Test
    void macsParseAndFormatBothWays() {
        assertThat(Neighbours.ArpTable.parseMac("02:aa:bb:cc:dd:11")).isEqualTo(0x02aabbccdd11L);
        assertThat(Neighbours.ArpTable.parseMac("02:aa:bb:cc:dd")).isEqualTo(Neighbours.UNKNOWN);
        assertThat(Neighbours.ArpTable.formatMac(0x02aabbccdd11L)).isEqualTo("02:aa:bb:cc:dd:11");
    }
}
