package dev.ferry;

import io.netty.util.ResourceLeakDetector;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * Ferry's entry point: parses the command line and runs one command.
 */
@Command(name = "ferry", mixinStandardHelpOptions = true, versionProvider = Version.class,
        description = "A load balancer for the JVM.",
        subcommands = {DemoCommand.class, RunCommand.class, ValidateCommand.class, AgentCommand.class, DecapCommand.class,
                ConfigCommand.class, ClusterCommand.class,
                VersionCommand.class,
                CommandLine.HelpCommand.class})
public final class Ferry implements Runnable {
    public static final int EXIT_OK = 0;
    public static final int EXIT_CONFIG = 1;
    public static final int EXIT_RUNTIME = 2;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        disableLeakDetectionUnlessAsked();
        System.exit(execute(args));
    }

    /**
     * Netty samples buffers for leak detection by default, recording a stack trace for about one in a hundred: a
     * few per cent of a busy proxy's CPU. The tests run with it (paranoid); the released process runs without,
     * unless {@code -Dio.netty.leakDetection.level} asks for it.
     */
    private static void disableLeakDetectionUnlessAsked() {
        if (System.getProperty("io.netty.leakDetection.level") == null
                && System.getProperty("io.netty.leakDetectionLevel") == null) {
            ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.DISABLED);
        }
    }

    /** Runs the command line and returns the exit code (for tests: never calls System.exit). */
    public static int execute(String... args) {
        CommandLine cli = new CommandLine(new Ferry());
        cli.setParameterExceptionHandler((e, args2) -> {
            CommandLine cmd = e.getCommandLine();
            cmd.getErr().println("ferry: " + e.getMessage());
            cmd.getErr().println("Run '" + cmd.getCommandSpec().qualifiedName() + " --help' for usage.");
            return EXIT_CONFIG;
        });
        cli.setExecutionExceptionHandler((e, cmd, parsed) -> {
            cmd.getErr().println("ferry: " + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()));
            org.slf4j.LoggerFactory.getLogger(Ferry.class).debug("unexpected failure", e);
            return EXIT_RUNTIME;
        });
        return cli.execute(args);
    }

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }
}
