package dev.ferry.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A small PKI made by the {@code openssl} command in a directory, for TLS tests: CAs, server and client certificates
 * they sign ({@code NAME.pem}, {@code NAME.key}, PKCS#8), and OCSP responses ({@code openssl ocsp} against an index
 * written by hand). Needs openssl on the PATH ({@link Requirements#requireCommand}).
 */
public final class OpensslPki {
    private final Path dir;

    public OpensslPki(Path dir) {
        this.dir = dir;
    }

    public Path dir() {
        return dir;
    }

    public Path file(String name) {
        return dir.resolve(name);
    }

    /** Runs openssl in the directory; returns its output (stdout and stderr), failing the test when it fails. */
    public String openssl(String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("openssl"));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(String.join(" ", command) + ": " + out).isZero();
        return out;
    }

    /** A self-signed CA {@code name.pem} / {@code name.key}. */
    public OpensslPki ca(String name) throws IOException, InterruptedException {
        openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "3",
                "-subj", "/CN=" + name + "/O=Ferry tests", "-addext", "basicConstraints=critical,CA:true",
                "-addext", "keyUsage=critical,keyCertSign,cRLSign,digitalSignature",
                "-keyout", name + ".key", "-out", name + ".pem");
        return this;
    }

    /**
     * A certificate {@code name.pem} for subject {@code /CN=cn/O=Ferry tests}, signed by {@code ca}.
     *
     * @param san  e.g. {@code DNS:a.test}, or null for none (a client certificate)
     * @param days its validity from now; a negative number makes one that has expired
     */
    public OpensslPki signed(String name, String cn, String san, String ca, int days)
            throws IOException, InterruptedException {
        openssl("req", "-new", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=" + cn + "/O=Ferry tests",
                "-keyout", name + ".key", "-out", name + ".csr");
        List<String> ext = new ArrayList<>(List.of("basicConstraints=CA:false"));
        if (san != null) {
            ext.add("subjectAltName=" + san);
            ext.add("extendedKeyUsage=serverAuth");
        } else {
            ext.add("extendedKeyUsage=clientAuth");
        }
        Files.writeString(dir.resolve(name + ".ext"), String.join("\n", ext) + "\n");
        openssl("x509", "-req", "-in", name + ".csr", "-CA", ca + ".pem", "-CAkey", ca + ".key", "-CAcreateserial",
                "-days", String.valueOf(days), "-extfile", name + ".ext", "-out", name + ".pem");
        return this;
    }

    /** The certificate's serial number as openssl writes it (upper-case hex). */
    public String serial(String name) throws IOException, InterruptedException {
        return openssl("x509", "-noout", "-serial", "-in", name + ".pem").strip().replace("serial=", "")
                .toUpperCase(Locale.ROOT);
    }

    /**
     * An OCSP response {@code name.ocsp} (DER) saying certificate {@code name} is good (or {@code revoked}), signed
     * by {@code ca} itself, valid for {@code days}.
     */
    public Path ocsp(String name, String ca, boolean revoked, int days) throws IOException, InterruptedException {
        String serial = serial(name);
        String line = revoked ? "R\t301231235959Z\t250101000000Z\t" + serial + "\tunknown\t/CN=" + name + "\n"
                : "V\t301231235959Z\t\t" + serial + "\tunknown\t/CN=" + name + "\n";
        Files.writeString(dir.resolve(name + ".index"), line);
        openssl("ocsp", "-issuer", ca + ".pem", "-cert", name + ".pem", "-no_nonce", "-reqout", name + ".ocspreq");
        openssl("ocsp", "-index", name + ".index", "-rsigner", ca + ".pem", "-rkey", ca + ".key", "-CA", ca + ".pem",
                "-reqin", name + ".ocspreq", "-respout", name + ".ocsp", "-ndays", String.valueOf(days));
        return dir.resolve(name + ".ocsp");
    }
}
