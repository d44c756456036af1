package dev.ferry.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A small certificate authority made at test time with {@code openssl} (EC P-256 keys, valid two days): a CA and
 * the leaf certificates tests ask for, each as {@code NAME.pem} (certificate) and {@code NAME.key} (PKCS#8 key) in a
 * directory. Needs openssl (skipped without it, failed in CI, as {@link Requirements} says).
 */
public final class TestPki {
    private final Path dir;
    private final String ca;

    private TestPki(Path dir, String ca) {
        this.dir = dir;
        this.ca = ca;
    }

    /** A new CA named {@code name} ({@code name.pem}, {@code name.key}) in {@code dir}. */
    public static TestPki authority(Path dir, String name) {
        Requirements.requireCommand("openssl", "apt-get install openssl");
        run(dir, "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                "-days", "2", "-subj", "/CN=" + name, "-addext", "basicConstraints=critical,CA:TRUE",
                "-addext", "keyUsage=critical,keyCertSign,cRLSign",
                "-keyout", dir.resolve(name + ".key").toString(), "-out", dir.resolve(name + ".pem").toString());
        return new TestPki(dir, name);
    }

    /**
     * A leaf certificate signed by this CA.
     *
     * @param san subjectAltName, e.g. {@code DNS:origin.test,IP:127.0.0.1}
     */
    public Path issue(String name, String cn, String san) {
        try {
            Path ext = dir.resolve(name + ".ext");
            Files.writeString(ext, "subjectAltName=" + san + "\nbasicConstraints=CA:FALSE\n"
                    + "extendedKeyUsage=serverAuth,clientAuth\n");
            run(dir, "openssl", "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                    "-subj", "/CN=" + cn, "-keyout", dir.resolve(name + ".key").toString(),
                    "-out", dir.resolve(name + ".csr").toString());
            run(dir, "openssl", "x509", "-req", "-in", dir.resolve(name + ".csr").toString(),
                    "-CA", caCert().toString(), "-CAkey", dir.resolve(ca + ".key").toString(), "-CAcreateserial",
                    "-days", "2", "-extfile", ext.toString(), "-out", dir.resolve(name + ".pem").toString());
            return dir.resolve(name + ".pem");
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    public Path caCert() {
        return dir.resolve(ca + ".pem");
    }

    public Path cert(String name) {
        return dir.resolve(name + ".pem");
    }

    public Path key(String name) {
        return dir.resolve(name + ".key");
    }

    private static void run(Path dir, String... command) {
        try {
            Process p = new ProcessBuilder(new ArrayList<>(List.of(command))).directory(dir.toFile())
                    .redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes());
            assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
            assertThat(p.exitValue()).as("%s: %s", String.join(" ", command), out).isZero();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }
}
