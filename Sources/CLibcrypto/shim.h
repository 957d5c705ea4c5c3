// The system libcrypto's EVP interface (OpenSSL 3, Debian's libssl-dev), for the opt-in SystemLibcryptoAEAD trait
// only: the default build never sees it.
#include <openssl/evp.h>
