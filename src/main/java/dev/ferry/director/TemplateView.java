package dev.ferry.director;

import dev.ferry.director.packet.Ipv4;
import dev.ferry.director.table.PersistenceTemplate;

/**
 * One persistence template as {@code ipvsadm -Lnc} shows it (client port 0; virtual port 0 for a service of every
 * port), for the admin API.
 *
 * @param client      the client group: the client's address under the service's netmask, port 0
 * @param connections the tracked connections it placed that are still in the table
 * @param secondsLeft until it expires unless a connection comes (its whole timeout while it has connections)
 */
public record TemplateView(String protocol, String client, String virtual, String real, String service,
                           String server, int connections, long secondsLeft) {
    static TemplateView of(PersistenceTemplate t, String service, long nowMillis) {
        var address = t.server().address();
        return new TemplateView(t.protocol() == Ipv4.TCP ? "tcp" : "udp", Ipv4.format(t.clientGroup()) + ":0",
                Ipv4.format(t.virtualAddress()) + ":" + t.virtualPort(),
                address == null ? "" : address.getAddress().getHostAddress() + ":" + address.getPort(), service,
                t.server().name(), t.connections(), (t.millisLeft(nowMillis) + 999) / 1000);
    }
}
