package dev.ferry.director;

import dev.ferry.config.DirectorConfig;
import dev.ferry.director.device.ErrnoException;
import dev.ferry.director.device.IoUringTunDevice;
import dev.ferry.director.device.PacketDevice;
import dev.ferry.director.device.TunDevice;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;

/**
 * Opens a director's TUN queues, one per worker, as its {@code io} says: each driven through its own io_uring
 * ({@link IoUringTunDevice}), or with a {@code read} and a {@code write} per packet ({@link TunDevice}). Where the
 * kernel refuses io_uring (EPERM under {@code kernel.io_uring_disabled} or a seccomp filter, a kernel without it),
 * {@code uring} falls back to system calls for every queue, with one log line that says why.
 *
 * <p>Threading: called by whoever opens the director; no state.
 */
final class TunQueues {
    private static final Logger log = LoggerFactory.getLogger(TunQueues.class);

    private TunQueues() {
    }

    /** The queues, all of one kind; all open, or none (the exception says why). */
    static List<PacketDevice> open(DirectorConfig config) throws ErrnoException {
        List<TunDevice> plain = TunDevice.openQueues(config.device(), config.workers());
        if (config.io() == DirectorConfig.Io.SYSCALLS) {
            return List.copyOf(plain);
        }
        List<IoUringTunDevice> rings = new ArrayList<>();
        try {
            for (TunDevice queue : plain) {
                rings.add(IoUringTunDevice.over(queue));
            }
            return List.copyOf(rings);
        } catch (ErrnoException e) {
            rings.forEach(IoUringTunDevice::detach);
            log.warn("director '{}': io: uring is not available here ({}); the workers use read and write system "
                    + "calls instead", config.name(), e.getMessage());
            return List.copyOf(plain);
        } catch (RuntimeException e) {
            rings.forEach(IoUringTunDevice::detach);
            plain.forEach(TunDevice::close);
            throw e;
        }
    }

    /** What {@code queue} moves packets with: {@code uring} or {@code syscalls}. */
    static String io(PacketDevice queue) {
        return queue instanceof IoUringTunDevice ? DirectorConfig.Io.URING.key() : DirectorConfig.Io.SYSCALLS.key();
    }
}
