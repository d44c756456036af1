package dev.ferry.transport;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads PEM certificate files (a certificate entry's {@code cert} chain, the {@code ca} of client certificates) and
 * checks their validity dates, as HAProxy and nginx do not but an operator wants at start: a certificate past its
 * {@code notAfter} (or before its {@code notBefore}) fails every handshake with clients that check. Every failure is a
 * {@link TlsFileException} naming the file and what to do.
 *
 * <p>Stateless; blocking file reads: call off the event loops.
 */
final class CertificateFiles {
    private CertificateFiles() {
    }

    /** The certificates of entry {@code index}'s PEM {@code cert} file, the server's own first. */
    static List<X509Certificate> chain(int index, Path certFile) {
        return read(index, "cert", certFile, "certificate");
    }

    /** The CA certificates of {@code ca} (at least one), each within its validity dates at {@code now}. */
    static List<X509Certificate> cas(Path file, Instant now) {
        List<X509Certificate> cas = read(-1, "ca", file, "CA certificate");
        for (X509Certificate c : cas) {
            String dates = dates(c, now);
            if (dates != null) {
                throw new TlsFileException(-1, "ca", "the CA certificate " + c.getSubjectX500Principal().getName()
                        + " in " + file + " " + dates + ": no client certificate would verify against it; replace it "
                        + "(check: openssl x509 -noout -dates -in " + file + ")");
            }
        }
        return cas;
    }

    /** Refuses a chain with a certificate outside its validity dates at {@code now}. */
    static void requireValid(int index, Path file, List<X509Certificate> chain, Instant now) {
        for (int i = 0; i < chain.size(); i++) {
            String dates = dates(chain.get(i), now);
            if (dates != null) {
                throw new TlsFileException(index, "cert", (i == 0 ? "the certificate "
                        : "the intermediate certificate ") + chain.get(i).getSubjectX500Principal().getName() + " in " + file + " " + dates
                        + ": clients would refuse it; renew it (check: openssl x509 -noout -dates -in " + file + ")");
            }
        }
    }

    /** Why {@code c} is not valid at {@code now}, or null when it is. */
    private static String dates(X509Certificate c, Instant now) {
        if (now.isAfter(c.getNotAfter().toInstant())) {
            return "expired at " + c.getNotAfter().toInstant();
        }
        if (now.isBefore(c.getNotBefore().toInstant())) {
            return "is not valid before " + c.getNotBefore().toInstant();
        }
        return null;
    }

    private static List<X509Certificate> read(int index, String key, Path file, String what) {
        String text = PrivateKeys.readText(index, key, file, what);
        if (!text.contains("-----BEGIN CERTIFICATE-----")) {
            throw new TlsFileException(index, key, file + " holds no PEM certificate (no -----BEGIN "
                    + "CERTIFICATE----- line)" + (text.contains("PRIVATE KEY-----") ? "; it holds a private key"
                    + (key.equals("cert") ? ": are cert and key swapped?" : "") : "; for a DER (binary) certificate "
                    + "write PEM with: openssl x509 -inform DER -in " + file + " -out " + file + ".pem"));
        }
        try {
            List<X509Certificate> certificates = new ArrayList<>();
            for (java.security.cert.Certificate c : CertificateFactory.getInstance("X.509").generateCertificates(
                    new ByteArrayInputStream(text.getBytes(StandardCharsets.ISO_8859_1)))) {
                certificates.add((X509Certificate) c);
            }
            if (certificates.isEmpty()) {
                throw new CertificateException("no certificate");
            }
            return certificates;
        } catch (CertificateException e) {
            throw new TlsFileException(index, key, file + " is not a usable PEM certificate file ("
                    + TlsTerminator.rootMessage(e) + "); check it with: openssl x509 -noout -text -in " + file);
        }
    }
}
