package dev.ferry.transport;

import io.netty.channel.Channel;
import io.netty.channel.nio.AbstractNioChannel;
import io.netty.channel.unix.UnixChannel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.reflect.Method;
import java.util.Locale;

/**
 * How many bytes a TCP socket's kernel still holds for its peer: written by Ferry but not yet acknowledged by the
 * peer (Linux {@code ioctl(SIOCOUTQ)}). Netty's view of a channel ends at the kernel; a reset (SO_LINGER 0) throws
 * away whatever the kernel still holds, so code that must deliver everything before resetting asks here first.
 *
 * <p>Known on Linux for native (epoll) channels, and for NIO channels when {@code java.base/sun.nio.ch} is exported to
 * Ferry (the jar's manifest and the launcher do: the JDK's socket channel gives its descriptor only there);
 * {@link #UNKNOWN} elsewhere, so callers fall back to what Netty knows.
 *
 * <p>Threading: stateless; call from the channel's event loop (the descriptor must stay open during the call).
 */
public final class SendQueue {
    private static final Logger log = LoggerFactory.getLogger(SendQueue.class);
    /** The answer when the platform or the channel cannot tell. */
    public static final int UNKNOWN = -1;
    /** {@code SIOCOUTQ} (= {@code TIOCOUTQ}) on Linux's generic ioctl numbering (x86, arm, riscv). */
    private static final long SIOCOUTQ = 0x5411;
    private static final MethodHandle IOCTL = ioctl();
    /** {@code (AbstractNioChannel) -> int}: the descriptor of an NIO channel's JDK socket; null when not exported. */
    private static final MethodHandle NIO_DESCRIPTOR = IOCTL == null ? null : nioDescriptor();

    private SendQueue() {
    }

    private static MethodHandle ioctl() {
        if (!System.getProperty("os.name", "").toLowerCase(Locale.ROOT).contains("linux")) {
            return null;
        }
        String arch = System.getProperty("os.arch", "");
        if (!(arch.equals("amd64") || arch.equals("x86_64") || arch.equals("aarch64") || arch.startsWith("riscv"))) {
            return null; // other architectures number their ioctls differently
        }
        try {
            Linker linker = Linker.nativeLinker();
            return linker.downcallHandle(linker.defaultLookup().find("ioctl").orElseThrow(),
                    FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG,
                            ValueLayout.ADDRESS),
                    Linker.Option.firstVariadicArg(2));
        } catch (RuntimeException | Error e) {
            // Native access not granted, or no libc symbol: Ferry still works, only less exactly.
            log.debug("ioctl(SIOCOUTQ) not available: {}", e.toString());
            return null;
        }
    }

    private static MethodHandle nioDescriptor() {
        try {
            Method javaChannel = AbstractNioChannel.class.getDeclaredMethod("javaChannel");
            javaChannel.setAccessible(true); // Netty is on the class path, in Ferry's own (unnamed) module
            Class<?> selectable = Class.forName("sun.nio.ch.SelChImpl");
            MethodHandles.Lookup lookup = MethodHandles.lookup();
            MethodHandle channel = lookup.unreflect(javaChannel)
                    .asType(MethodType.methodType(Object.class, AbstractNioChannel.class));
            MethodHandle descriptor = lookup.unreflect(selectable.getMethod("getFDVal"))
                    .asType(MethodType.methodType(int.class, Object.class));
            return MethodHandles.filterReturnValue(channel, descriptor);
        } catch (ReflectiveOperationException | RuntimeException e) {
            // sun.nio.ch not exported (java run without Ferry's manifest or launcher): NIO channels stay unknown.
            log.debug("NIO socket descriptors not available: {}", e.toString());
            return null;
        }
    }

    /** Bytes the kernel still holds for {@code channel}'s peer, or {@link #UNKNOWN}. */
    public static int bytes(Channel channel) {
        if (IOCTL == null || !channel.isOpen()) {
            return UNKNOWN;
        }
        int fd;
        try {
            if (channel instanceof UnixChannel unix && unix.fd().isOpen()) {
                fd = unix.fd().intValue();
            } else if (channel instanceof AbstractNioChannel nio && NIO_DESCRIPTOR != null) {
                fd = (int) NIO_DESCRIPTOR.invokeExact(nio);
            } else {
                return UNKNOWN;
            }
        } catch (Throwable e) {
            return UNKNOWN;
        }
        if (fd < 0) {
            return UNKNOWN;
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(ValueLayout.JAVA_INT);
            int rc = (int) IOCTL.invokeExact(fd, SIOCOUTQ, out);
            return rc == 0 ? out.get(ValueLayout.JAVA_INT, 0) : UNKNOWN;
        } catch (Throwable e) {
            return UNKNOWN;
        }
    }
}
