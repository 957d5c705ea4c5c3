import TLSKitFuzzTargets

/// libFuzzer entry point for `CertificateLoadingTarget` (built only by scripts/fuzz.sh). A finding traps.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    if let finding = CertificateLoadingTarget.run(Array(UnsafeBufferPointer(start: data, count: size))) {
        fatalError("finding: \(finding)")
    }
    return 0
}

/// SwiftPM links an executable with `main` defined as `<module>_main`, so libFuzzer's own main is not used; this
/// one hands over to libFuzzer's driver.
@_cdecl("fuzz_certificate_loading_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    var argc = argc
    var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = argv
    return LLVMFuzzerRunDriver(&argc, &argv, fuzz)
}

@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>, Int) -> CInt
) -> CInt
