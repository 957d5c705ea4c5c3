/// What to do about a certificate rule that failed, worded for the command that reports it: `verify` (offline, with
/// --host/--ip/--untrusted/--at/--max-depth) or `connect`/`scan` (a live server, with --servername/--cafile).
enum CertificateHints {
    enum Context {
        case verify
        case connect
    }

    static func hint(_ rule: String, for context: Context) -> String? {
        let live = context == .connect
        switch rule {
        case "server-identity":
            return live
                ? "the certificate's subjectAltName does not list the name you connected to; check the name (--servername "
                    + "sets the one checked), or reissue the certificate with it as a DNS (or IP) subjectAltName (the "
                    + "subject CN is never used)"
                : "the certificate's subjectAltName does not list this name; check --host/--ip, or reissue the "
                    + "certificate with the name as a DNS (or IP) subjectAltName (the subject CN is never used)"
        case "validity":
            return live
                ? "the server's certificate is expired or not yet valid: renew it, or check this machine's clock"
                : "renew the certificate, or check the clock (--at verifies at another time)"
        case "unknown-ca":
            return live
                ? "the chain does not lead to a trusted root: pass the issuing root with --cafile, or have the server "
                    + "send its intermediate certificates"
                : "pass the issuing root with --cafile and any missing intermediates with --untrusted"
        case "extended-key-usage":
            return live
                ? "the certificate is not for TLS servers: reissue it with extendedKeyUsage serverAuth (an intermediate "
                    + "with an EKU list must include it or anyExtendedKeyUsage)"
                : "reissue with extendedKeyUsage serverAuth (or clientAuth for --purpose client); an intermediate "
                    + "with an EKU list must include it or anyExtendedKeyUsage"
        case "basic-constraints":
            return "a CA certificate (cA=TRUE or keyCertSign) cannot be the end entity; issuers must be CAs with "
                + "keyCertSign and respect pathLenConstraint"
        case "name-constraints": return "an issuing CA is not allowed to certify one of the certificate's names"
        case "weak-signature":
            return "a certificate below the root is signed with SHA-1 or MD5, which TLSKit (like browsers, Go and "
                + "rustls) refuses; have the CA reissue it signed with SHA-256 or stronger (only a root's own "
                + "self-signature may use SHA-1)"
        case "budget":
            return live
                ? "the server's chain is too long or tangled to verify; have it send a shorter chain"
                : "the chain is too long or tangled; --max-depth raises the intermediate limit"
        case "critical-extensions": return "the certificate has a critical extension TLSKit does not process"
        default: return nil
        }
    }
}
