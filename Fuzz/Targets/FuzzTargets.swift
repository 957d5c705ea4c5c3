/// Every fuzz target by name: what `scripts/fuzz.sh TARGET` selects (through `TLSKIT_FUZZ_TARGET`) and what the
/// corpus replay walks (`Fuzz/Corpus/NAME`, `Fuzz/Crashes/NAME`). A target returns a finding (a description of what
/// went wrong) or nil.
public enum FuzzTargets {
    public static let all: [String: @Sendable ([UInt8]) -> String?] = {
        var targets: [String: @Sendable ([UInt8]) -> String?] = [
            "handshake-messages": HandshakeMessageTarget.run,
            "server-engine": ServerEngineTarget.run,
            "client-engine": ClientEngineTarget.run,
            "certificate-loading": CertificateLoadingTarget.run,
        ]
        #if SystemLibcryptoAEAD
        // Differential: the opt-in libcrypto record AEAD against swift-crypto's (built with the trait only).
        targets["libcrypto-aead"] = LibcryptoAEADTarget.run
        #endif
        return targets
    }()
}
