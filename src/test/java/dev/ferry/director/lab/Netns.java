package dev.ferry.director.lab;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;

/**
 * Runs code inside a named network namespace ({@code ip netns add NAME}) from this JVM: a fresh platform thread
 * joins the namespace with {@code setns(2)} (a thread's own network namespace, the rest of the JVM stays where it
 * is) and creates the sockets there; a socket keeps its namespace whatever thread uses it afterwards.
 */
final class Netns {
    private static final int O_RDONLY = 0;
    private static final int CLONE_NEWNET = 0x40000000;
    private static final Linker LINKER = Linker.nativeLinker();
    private static final MethodHandle OPEN = LINKER.downcallHandle(LINKER.defaultLookup().find("open").orElseThrow(),
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle SETNS = LINKER.downcallHandle(LINKER.defaultLookup().find("setns").orElseThrow(),
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT));
    private static final MethodHandle CLOSE = LINKER.downcallHandle(LINKER.defaultLookup().find("close").orElseThrow(),
            FunctionDescriptor.of(JAVA_INT, JAVA_INT));

    private Netns() {
    }

    /** {@code task}'s result, computed on a thread inside namespace {@code name}. */
    static <T> T call(String name, Callable<T> task) throws Exception {
        CompletableFuture<T> result = new CompletableFuture<>();
        Thread t = Thread.ofPlatform().name("netns-" + name).daemon(true).start(() -> {
            try {
                enter(name);
                result.complete(task.call());
            } catch (Throwable e) {
                result.completeExceptionally(e);
            }
        });
        try {
            return result.get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof Exception x) {
                throw x;
            }
            throw e;
        } finally {
            t.join();
        }
    }

    private static void enter(String name) throws Throwable {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment path = arena.allocateFrom("/var/run/netns/" + name);
            int fd = (int) OPEN.invokeExact(path, O_RDONLY);
            if (fd < 0) {
                throw new IllegalStateException("cannot open network namespace " + name);
            }
            try {
                if ((int) SETNS.invokeExact(fd, CLONE_NEWNET) != 0) {
                    throw new IllegalStateException("setns into " + name + " failed (root needed)");
                }
            } finally {
                int ignored = (int) CLOSE.invokeExact(fd);
            }
        }
    }
}
