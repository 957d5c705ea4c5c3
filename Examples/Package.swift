// swift-tools-version: 6.1
// Examples that use TLSKit with other frameworks. A package of its own, so the library's users never resolve gRPC.
// scripts/test.sh builds it and runs `grpc-tlskit-example` end to end.
import PackageDescription

let package = Package(
    name: "TLSKitExamples",
    // grpc-swift 2 needs macOS 15 (Linux: any).
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "GRPCTLSKit", targets: ["GRPCTLSKit"]),
        .executable(name: "grpc-tlskit-example", targets: ["grpc-tlskit-example"]),
    ],
    dependencies: [
        .package(name: "TLSKit", path: ".."),
        .package(url: "https://github.com/grpc/grpc-swift-2.git", from: "2.4.3"),
        .package(url: "https://github.com/grpc/grpc-swift-nio-transport.git", from: "2.9.2"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
    ],
    targets: [
        // gRPC server and client transports with TLSKit in the channel pipeline.
        .target(
            name: "GRPCTLSKit",
            dependencies: [
                .product(name: "TLSKit", package: "TLSKit"),
                .product(name: "TLSKitNIO", package: "TLSKit"),
                .product(name: "GRPCCore", package: "grpc-swift-2"),
                .product(name: "GRPCNIOTransportHTTP2", package: "grpc-swift-nio-transport"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        // A mutual-TLS echo over gRPC on 127.0.0.1: exits 0 when the round trip and the peer checks succeed.
        .executableTarget(
            name: "grpc-tlskit-example",
            dependencies: [
                "GRPCTLSKit",
                .product(name: "TLSKit", package: "TLSKit"),
                .product(name: "TLSKitNIO", package: "TLSKit"),
                .product(name: "GRPCCore", package: "grpc-swift-2"),
            ]
        ),
    ]
)
