@_exported import TLSWire
@_exported import TLSCrypto
