package dev.ferry;

import dev.ferry.backend.Backend;
import dev.ferry.config.Addresses;
import dev.ferry.config.DirectorConfig;
import dev.ferry.config.DirectorServiceConfig;
import dev.ferry.config.FerryConfig;
import dev.ferry.config.FrontendConfig;
import dev.ferry.runtime.Balancer;
import dev.ferry.runtime.DescriptorBudget;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * What {@code ferry run} prints once everything listens: one line per frontend with where it sends traffic (tcp and
 * udp: its backend; http: the backends of its routes in route order, then its default backend), the DNS responder, the admin URLs and the
 * descriptor budget. Reads the running balancer; any thread.
 */
final class StartBanner {
    private StartBanner() {
    }

    static String text(FerryConfig config, Balancer balancer, int threads, Optional<InetSocketAddress> admin) {
        StringBuilder s = new StringBuilder();
        s.append("ferry ").append(Version.current()).append(" started (").append(balancer.transport().name())
                .append(", ").append(threads).append(" event loop").append(threads == 1 ? "" : "s").append(")\n");
        for (FrontendConfig fc : config.frontends()) {
            s.append(frontendLine(fc, balancer)).append('\n');
        }
        balancer.dnsAddress().ifPresent(address -> s.append(String.format("  dns      %-12s %-4s %-22s -> zones %s%n",
                "", "udp+tcp", Addresses.format(address),
                String.join(", ", config.dns().orElseThrow().zones().stream().map(z -> z.origin()).toList()))));
        for (DirectorConfig dc : config.directors()) {
            for (DirectorServiceConfig sc : dc.services()) {
                s.append(String.format("  director %-12s %-4s %-22s -> backend %s (%s, device %s)%n", dc.name(),
                        sc.protocol().key(), sc.vip().host() + ":" + sc.vip().port(), sc.backend(),
                        sc.forwarding().key(), dc.device()));
            }
        }
        admin.ifPresent(address -> {
            String at = "http://" + Addresses.format(address);
            s.append(String.format("  admin    %s/  (dashboard; API %s/api/v1/status; metrics %s/metrics)%n", at, at, at));
        });
        s.append("  ").append(DescriptorBudget.of(config).describe()).append('\n');
        return s.toString();
    }

    /** {@code frontend web http 127.0.0.1:8080 -> routes: api (wlc, 2 servers), site (rr, 1 server)}. */
    static String frontendLine(FrontendConfig fc, Balancer balancer) {
        String head = String.format("  frontend %-12s %-4s %-22s -> ", fc.name(), fc.mode().key(),
                Addresses.format(balancer.address(fc.name())));
        Set<String> targets = new LinkedHashSet<>();
        // A route that answers itself shows as its action: "-> routes: redirect, api (wlc, 2 servers)".
        fc.routes().stream().map(r -> r.backend() != null ? r.backend()
                : r.actions().redirect().isPresent() ? "redirect" : "return").forEach(targets::add);
        fc.backend().ifPresent(targets::add); // http: the backend of requests no route matches

        List<String> described = new ArrayList<>();
        for (String name : targets) {
            Backend b = balancer.backends().get(name);
            long backups = b == null ? 0 : b.servers().stream().filter(dev.ferry.backend.Server::backup).count();
            described.add(b == null ? name : String.format("%s (%s, %d server%s%s%s)", name,
                    b.config().scheduler().name(), b.servers().size(), b.servers().size() == 1 ? "" : "s",
                    backups == 0 ? "" : ", " + backups + " of them backup",
                    b.queue() == null ? "" : ", queue " + b.queue().config().size()));
        }
        if (described.isEmpty()) {
            return head + "no backend";
        }
        boolean routed = !fc.routes().isEmpty();
        return head + (routed ? (targets.size() == 1 ? "route: " : "routes: ") : "backend ")
                + String.join(", ", described);
    }
}
