import Foundation
import TLSKitFuzzTargets

// The one libFuzzer executable (built only by scripts/fuzz.sh, with -sanitize=fuzzer,address): the target comes from
// TLSKIT_FUZZ_TARGET (a name in FuzzTargets.all). A finding traps, which libFuzzer records as a crash.

/// The selected target; set once before libFuzzer starts calling back (a C callback cannot capture it).
nonisolated(unsafe) private var selectedTarget: (@Sendable ([UInt8]) -> String?)?

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    if let finding = selectedTarget?(Array(UnsafeBufferPointer(start: data, count: size))) {
        fatalError("finding: \(finding)")
    }
    return 0
}

/// SwiftPM links an executable with `main` defined as `<module>_main`, so libFuzzer's own main is not used; this
/// one selects the target and hands over to libFuzzer's driver.
@_cdecl("tlskit_fuzz_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    let name = ProcessInfo.processInfo.environment["TLSKIT_FUZZ_TARGET"] ?? ""
    guard let target = FuzzTargets.all[name] else {
        let names = FuzzTargets.all.keys.sorted().joined(separator: ", ")
        FileHandle.standardError.write(Data("set TLSKIT_FUZZ_TARGET to one of: \(names)\n".utf8))
        return 2
    }
    selectedTarget = target
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
