// swift-tools-version: 6.1
import Foundation
import PackageDescription

let package = Package(
    name: "TLSKit",
    platforms: [.macOS(.v14)],
    products: [
        .library(name: "TLSKit", targets: ["TLSKit"]),
        .library(name: "TLSKitNIO", targets: ["TLSKitNIO"]),
        .library(name: "TLSKitHummingbird", targets: ["TLSKitHummingbird"]),
        .executable(name: "tlskit-demo", targets: ["tlskit-demo"]),
        .executable(name: "tlskit", targets: ["tlskit"]),
    ],
    // Off by default: the default build is pure swift-crypto. See LibcryptoAEADProvider (Sources/TLSCrypto).
    traits: [
        .trait(
            name: "SystemLibcryptoAEAD",
            description: "LibcryptoAEADProvider: record protection on the system libcrypto's EVP AEAD, sealing into and "
                + "opening into TLSKit's buffers (needs libssl-dev / OpenSSL 3 headers and libcrypto)"),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-certificates.git", from: "1.21.1"),
        .package(url: "https://github.com/apple/swift-asn1.git", from: "1.7.4"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        // Only the TLSKitHummingbird target uses these; TLSKit and TLSKitNIO do not depend on them.
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-nio-http2.git", from: "1.46.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.14.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.0.0"),
        // `swift package generate-documentation --target TLSKit` (the DocC catalogs in Sources/*/*.docc).
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.5.0"),
    ],
    targets: [
        // The system libcrypto (OpenSSL 3), only with the SystemLibcryptoAEAD trait.
        .systemLibrary(
            name: "CLibcrypto",
            pkgConfig: "libcrypto",
            providers: [.apt(["libssl-dev"]), .brew(["openssl@3"])]
        ),
        // Byte-level codec: ByteReader / ByteWriter and every wire structure. No crypto, no state.
        .target(name: "TLSWire"),
        // The crypto seam: CryptoProvider and its swift-crypto default.
        .target(
            name: "TLSCrypto",
            dependencies: [
                "TLSWire",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "CryptoExtras", package: "swift-crypto"),
                .target(name: "CLibcrypto", condition: .when(traits: ["SystemLibcryptoAEAD"])),
            ]
        ),
        // The sans-I/O engine: record layer, key schedule, state machines, certificates, configuration.
        .target(
            name: "TLSKit",
            dependencies: [
                "TLSWire",
                "TLSCrypto",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "CryptoExtras", package: "swift-crypto"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
            ],
            exclude: ["Handshake/README.md"]
        ),
        // SwiftNIO adapter: channel handlers over the engine, plus async connect/bind helpers.
        .target(
            name: "TLSKitNIO",
            dependencies: [
                "TLSKit",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOTLS", package: "swift-nio"),
                // TLSKitContext checks certificate validity dates when it is built.
                .product(name: "X509", package: "swift-certificates"),
            ]
        ),
        // Hummingbird 2 over TLSKit: HTTPServerBuilder.tlsKit(.http1() / .http2(), configuration:).
        .target(
            name: "TLSKitHummingbird",
            dependencies: [
                "TLSKit", "TLSKitNIO",
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdHTTP2", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "NIOHTTP2", package: "swift-nio-http2"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(name: "tlskit-demo", dependencies: ["TLSKit"]),
        // The `tlskit` command-line tool: `serve` and `connect`, over the NIO adapter.
        .executableTarget(
            name: "tlskit",
            dependencies: [
                "TLSKit", "TLSKitNIO",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .testTarget(name: "TLSWireTests", dependencies: ["TLSWire"]),
        // Type-checks a user's view of `import TLSKit` with swiftc against the built modules (the dependencies make
        // sure they are built).
        .testTarget(name: "TLSKitAPITests", dependencies: ["TLSKit"]),
        // Runs the built `tlskit` binary against curl and openssl (the dependency makes --build-tests build it).
        .testTarget(name: "tlskitCLITests", dependencies: ["tlskit", "TLSKit"]),
        .testTarget(
            name: "TLSCryptoTests",
            dependencies: [
                "TLSCrypto", "TLSWire",
                // The SigningKey initializers take swift-crypto keys, so the tests construct them.
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "CryptoExtras", package: "swift-crypto"),
            ]
        ),
        .testTarget(
            name: "TLSKitNIOTests",
            dependencies: [
                "TLSKitNIO", "TLSKit",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOTLS", package: "swift-nio"),
            ]
        ),
        // Serves HTTP/1.1 and HTTP/2 through TLSKitHummingbird to curl.
        .testTarget(
            name: "TLSKitHummingbirdTests",
            dependencies: [
                "TLSKitHummingbird", "TLSKit", "TLSKitNIO",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // Test-only: counts heap allocations for the allocation regression guard (replaces malloc in the test
        // executable only; see Tests/AllocationCounter/AllocationCounter.c).
        .target(name: "AllocationCounter", path: "Tests/AllocationCounter"),
        .testTarget(
            name: "TLSKitTests",
            dependencies: [
                "TLSKit", "TLSWire", "TLSCrypto", "AllocationCounter", "TLSKitFuzzTargets",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "CryptoExtras", package: "swift-crypto"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
            ],
            // The RFC 8448 known-answer tests read the trace document itself.
            resources: [.copy("RFC8448/Resources/rfc8448.txt")]
        ),
        // The coverage-guided fuzz targets' bodies (Fuzz/README.md). The normal suite replays the committed corpus
        // through them (FuzzCorpusReplayTests); the libFuzzer executables below wrap them.
        .target(
            name: "TLSKitFuzzTargets",
            dependencies: [
                "TLSKit", "TLSWire", "TLSCrypto",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
            ],
            path: "Fuzz/Targets"
        ),
    ]
)

// The libFuzzer executable (one for every target: TLSKIT_FUZZ_TARGET selects), only when scripts/fuzz.sh builds it
// (with -sanitize=fuzzer,address, in .build-fuzz): the normal build never sees it.
if ProcessInfo.processInfo.environment["TLSKIT_FUZZ"] != nil {
    package.targets.append(.executableTarget(name: "tlskit-fuzz", dependencies: ["TLSKitFuzzTargets"], path: "Fuzz/Entry"))
}
