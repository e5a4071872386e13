import Synchronization

/// labcheck never talks to a network, yet `git_libgit2_init` on a libgit2 built with mbedTLS
/// (Debian 12's libgit2 1.5.1) parses the system's whole CA bundle,
/// `/etc/ssl/certs/ca-certificates.crt` (139 certificates here, base64 and DER): 8-9 ms of every
/// run, measured from C (bench/README.md, the scale benchmark's "Process start-up"), as much as
/// `git diff --cached` takes in all.
///
/// This definition takes the place of mbedTLS's `mbedtls_x509_crt_parse_file` for libgit2: the
/// executable is first in the dynamic linker's search order, and the linker exports this
/// symbol because libgit2, a library in the link, refers to it. It parses nothing and reports
/// success, so libgit2 ends its initialisation with an empty CA chain. An HTTPS connection made
/// through this libgit2 would then fail certificate verification (libgit2 reports
/// GIT_ECERTIFICATE): it fails closed, and labcheck makes none. With a libgit2 built against
/// OpenSSL, or one that links mbedTLS statically, nothing refers to this symbol and it is inert.
///
/// `chain` is mbedTLS's `mbedtls_x509_crt *`, `path` the bundle's path; neither is read.
@_cdecl("mbedtls_x509_crt_parse_file")
public func labcheckSkipsCABundle(_ chain: UnsafeMutableRawPointer?, _ path: UnsafePointer<CChar>?) -> Int32 {
    CertificateBundle.skipped.add(1, ordering: .relaxed)
    return 0
}

public enum CertificateBundle {
    /// How many times libgit2 asked for a CA bundle and got none (once per initialisation when
    /// the interposition is in effect; tests read it).
    public static let skipped = Atomic<Int>(0)
}
