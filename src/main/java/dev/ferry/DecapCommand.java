package dev.ferry;

import dev.ferry.config.Addresses;
import dev.ferry.director.Decap;
import dev.ferry.director.device.ErrnoException;
import dev.ferry.director.device.InterfaceAddress;
import dev.ferry.director.device.RawIpSocket;
import dev.ferry.director.device.TunDevice;
import dev.ferry.director.packet.Ipip;
import dev.ferry.director.packet.Ipv4;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import sun.misc.Signal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.regex.Pattern;

/**
 * {@code ferry decap --vip VIP [--device NAME] [--from DIRECTOR]...}: on a real server of a {@code forwarding:
 * tunnel} service whose kernel has no IPIP, takes the director's IPIP packets and hands their inner packets to this
 * host's stack ({@link Decap}), until SIGTERM or Ctrl-C. It opens a raw IPPROTO_IPIP socket, creates (or opens) the
 * TUN device, gives it the VIP as a /32 and brings it up, and turns the device's reverse-path filter off (the
 * client's packets arrive on it while the route to the client is another interface). When it ends, a device it
 * created goes, and the VIP with it.
 */
@Command(name = "decap", mixinStandardHelpOptions = true, versionProvider = Version.class,
        description = "On a real server of a tunnel service: take the director's IPIP packets (raw IPPROTO_IPIP "
                + "socket) and hand their inner packets to this host through a TUN device holding the VIP, for "
                + "kernels without the ipip module. Needs CAP_NET_RAW and CAP_NET_ADMIN.")
final class DecapCommand implements Callable<Integer> {
    static final String DEFAULT_DEVICE = "ferry-decap";
    private static final Pattern DEVICE_NAME = Pattern.compile("[A-Za-z0-9_.-]{1,15}");
    private static final Path CONF = Path.of("/proc/sys/net/ipv4/conf");

    @Option(names = "--vip", paramLabel = "VIP", required = true,
            description = "the tunnel service's virtual IPv4 address, put on the device as a /32")
    String vip;

    @Option(names = "--device", paramLabel = "NAME", defaultValue = DEFAULT_DEVICE,
            description = "the TUN device that holds the VIP (default: ${DEFAULT-VALUE}); created when missing")
    String device;

    @Option(names = "--from", paramLabel = "DIRECTOR",
            description = "take IPIP only from this director address (repeatable; default: from any)")
    List<String> from = new ArrayList<>();

    @Override
    public Integer call() {
        if (!Addresses.isIpv4(vip)) {
            System.err.println("ferry decap: --vip " + vip + " is not an IPv4 address; e.g. --vip 10.100.0.100");
            return Ferry.EXIT_CONFIG;
        }
        if (!DEVICE_NAME.matcher(device).matches() || device.equals(".") || device.equals("..")) {
            System.err.println("ferry decap: --device " + device + " is not a device name; 1 to 15 letters, "
                    + "digits, '.', '-' or '_'");
            return Ferry.EXIT_CONFIG;
        }
        int[] directors = new int[from.size()];
        for (int i = 0; i < directors.length; i++) {
            if (!Addresses.isIpv4(from.get(i))) {
                System.err.println("ferry decap: --from " + from.get(i) + " is not an IPv4 address");
                return Ferry.EXIT_CONFIG;
            }
            directors[i] = Ipv4.parse(from.get(i));
        }
        int address = Ipv4.parse(vip);
        RawIpSocket raw;
        try {
            raw = RawIpSocket.open(Ipip.PROTOCOL);
        } catch (ErrnoException e) {
            return failed(e);
        }
        try (raw; TunDevice tun = TunDevice.open(device, false)) {
            InterfaceAddress.set(device, address, 0xFFFF_FFFF);
            String problem = reversePathFilterOff(device);
            if (problem != null) {
                System.err.println("ferry decap: " + problem);
                return Ferry.EXIT_RUNTIME;
            }
            Decap decap = new Decap(address, directors, raw, tun);
            Signal.handle(new Signal("TERM"), s -> decap.stop());
            Signal.handle(new Signal("INT"), s -> decap.stop());
            System.out.println("ferry decap " + Version.current() + ": IPIP packets to this host"
                    + (from.isEmpty() ? "" : " from " + String.join(", ", from)) + " go to " + vip + " through "
                    + device);
            System.out.flush();
            decap.run();
            System.out.println("ferry decap: stopped; " + decap.passed() + " packets passed, " + decap.malformed()
                    + " not IPIP, " + decap.refused() + " not for " + vip + " (or from no --from director)"
                    + (decap.writeFailures() == 0 ? "" : ", " + decap.writeFailures() + " writes failed"));
            return Ferry.EXIT_OK;
        } catch (ErrnoException e) {
            return failed(e);
        }
    }

    private static int failed(ErrnoException e) {
        if (e.isPermission()) {
            System.err.println("ferry decap: needs CAP_NET_RAW (a raw IPPROTO_IPIP socket) and CAP_NET_ADMIN (the "
                    + "TUN device holding the VIP): run it as root or grant both capabilities (" + e.getMessage()
                    + ")");
        } else {
            System.err.println("ferry decap: " + e.getMessage());
        }
        return Ferry.EXIT_RUNTIME;
    }

    /**
     * Sets the device's {@code rp_filter} to 0 and warns when {@code all}'s is strict (the kernel applies the larger
     * of the two, and strict drops the client's packets, whose route is not the device); an error when it cannot.
     */
    private static String reversePathFilterOff(String device) {
        Path own = CONF.resolve(device).resolve("rp_filter");
        try {
            if (!Files.readString(own).trim().equals("0")) {
                Files.writeString(own, "0");
            }
        } catch (IOException e) {
            return "cannot turn off the reverse-path filter of " + device + " (" + own + ": " + e.getMessage()
                    + "); set net.ipv4.conf." + device + ".rp_filter=0";
        }
        try {
            Files.writeString(Path.of("/proc/sys/net/ipv6/conf", device, "disable_ipv6"), "1");
        } catch (IOException | RuntimeException e) {
            // No IPv6 on this host: nothing to turn off.
        }
        try {
            if (Files.readString(CONF.resolve("all").resolve("rp_filter")).trim().equals("1")) {
                System.err.println("ferry decap: warning: net.ipv4.conf.all.rp_filter is 1 (strict), which the "
                        + "kernel applies to " + device + " too: the clients' packets would be dropped; set it to 0 "
                        + "or 2 (loose)");
            }
        } catch (IOException e) {
            // Unreadable: the device's own setting is what could be done.
        }
        return null;
    }
}
