package dev.ferry.transport;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;

/**
 * What an operator wants to know of one certificate a TLS frontend serves, as read at start or at the last reload:
 * its file, the names SNI matches it by, its issuer, its validity and fingerprint, and whether an OCSP staple goes
 * with it. Shown by the status API and as the metric {@code ferry_tls_certificate_not_after_seconds}. Immutable.
 *
 * @param index       its place in the frontend's {@code tls.certificates}
 * @param file        the {@code cert} file
 * @param subject     the leaf's subject (RFC 2253)
 * @param names       the DNS names SNI picks it by (its subject alternative names, else its common name)
 * @param issuer      the leaf's issuer (RFC 2253)
 * @param notBefore   the start of its validity
 * @param notAfter    the end of its validity
 * @param sha256      the SHA-256 fingerprint of the leaf's DER encoding, hex
 * @param ocspStapled whether an {@code ocsp} staple is sent with it
 */
public record CertificateInfo(int index, String file, String subject, List<String> names, String issuer,
                              Instant notBefore, Instant notAfter, String sha256, boolean ocspStapled) {
    public CertificateInfo {
        names = List.copyOf(names);
    }

    static CertificateInfo of(int index, String file, X509Certificate leaf, boolean ocspStapled) {
        return new CertificateInfo(index, file, leaf.getSubjectX500Principal().getName(),
                List.copyOf(TlsTerminator.names(leaf)), leaf.getIssuerX500Principal().getName(),
                leaf.getNotBefore().toInstant(), leaf.getNotAfter().toInstant(), fingerprint(leaf), ocspStapled);
    }

    private static String fingerprint(X509Certificate leaf) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(leaf.getEncoded()));
        } catch (NoSuchAlgorithmException | CertificateEncodingException e) {
            throw new IllegalStateException("cannot fingerprint " + leaf.getSubjectX500Principal(), e);
        }
    }
}
