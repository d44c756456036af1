package dev.ferry.director;

import dev.ferry.director.packet.Ipv4;
import dev.ferry.director.table.TrackedConnection;

/**
 * One tracked connection as {@code ipvsadm -Lnc} shows it, copied off the worker thread for the admin API.
 *
 * @param protocol    tcp or udp
 * @param state       the IPVS TCP state name ({@code UDP} for UDP entries)
 * @param secondsLeft until the entry expires unless a packet comes
 */
public record ConnectionView(String protocol, String state, long secondsLeft, String client, String virtual,
                             String real, String service, String server) {
    static ConnectionView of(TrackedConnection e, String service, long nowMillis) {
        return new ConnectionView(e.protocol() == Ipv4.TCP ? "tcp" : "udp", e.stateName(),
                Math.max(0, (e.expiresAt() - nowMillis + 999) / 1000),
                Ipv4.format(e.clientAddress()) + ":" + e.clientPort(),
                Ipv4.format(e.virtualAddress()) + ":" + e.virtualPort(),
                Ipv4.format(e.realAddress()) + ":" + e.realPort(), service, e.lease().server().name());
    }
}
