#ifndef CBENCHSUPPORT_H
#define CBENCHSUPPORT_H
#include <stddef.h>
#include <stdint.h>

// ---- Allocation counting (malloc & co. are interposed for the whole process; see malloc_counter.c) ----
/// Number of malloc/calloc/realloc/posix_memalign/aligned_alloc/memalign calls since the process started.
int64_t bench_allocation_count(void);
/// Bytes currently allocated from the heap (glibc mallinfo2: uordblks + hblkhd, all arenas).
int64_t bench_heap_in_use(void);
/// Gives free memory at the top of the heap back to the system (malloc_trim(0)).
void bench_heap_trim(void);
/// CPU time of the whole process in nanoseconds (CLOCK_PROCESS_CPUTIME_ID).
int64_t bench_process_cpu_ns(void);
/// Resident set size in bytes (from /proc/self/statm).
int64_t bench_rss_bytes(void);

// ---- OpenSSL 3 through BIO pairs (openssl_driver.c) ----
typedef struct bench_ossl_ctx bench_ossl_ctx;
typedef struct bench_ossl_conn bench_ossl_conn;

/// A context. version: 12 or 13 (min = max = that version). server: cert+key PEM; client: CA PEM (verification on).
/// ciphers: TLS 1.2 cipher list or TLS 1.3 ciphersuites; groups: e.g. "X25519". tickets: 0 disables session tickets, else the TLS 1.3 tickets per handshake.
/// Returns NULL on failure (error printed to stderr).
bench_ossl_ctx *bench_ossl_ctx_new(int server, int version, const char *cert_pem, const char *key_pem,
                                   const char *ca_pem, const char *ciphers, const char *groups, int tickets,
                                   int session_cache);
void bench_ossl_ctx_free(bench_ossl_ctx *ctx);
/// A connection. peer NULL: a new BIO pair, this side's half; else the peer's other half. sni may be NULL (server).
bench_ossl_conn *bench_ossl_conn_new(bench_ossl_ctx *ctx, const char *sni, bench_ossl_conn *peer);
void bench_ossl_conn_free(bench_ossl_conn *conn);
/// One SSL_do_handshake call: 1 finished, 0 wants more input, -1 failed.
int bench_ossl_handshake(bench_ossl_conn *conn);
/// The bytes `from` has written that `to` can read (the BIO pair moved them already; nothing is copied).
int bench_ossl_transfer(bench_ossl_conn *from, bench_ossl_conn *to);
/// SSL_write of the whole buffer; returns bytes written or -1.
int bench_ossl_write(bench_ossl_conn *conn, const uint8_t *bytes, int length);
/// SSL_read until no more plaintext is available; returns the plaintext bytes read (0 if none), -1 on error.
int bench_ossl_read_all(bench_ossl_conn *conn, uint8_t *buffer, int capacity);
/// Keeps the client's session for resumption (SSL_get1_session); 0 if none.
int bench_ossl_save_session(bench_ossl_conn *client);
/// Offers the saved session on a new client connection.
void bench_ossl_offer_session(bench_ossl_conn *client, bench_ossl_conn *from);
/// 1 if the handshake resumed a session.
int bench_ossl_session_reused(bench_ossl_conn *conn);
/// The negotiated cipher's name and version string, for sanity checks.
const char *bench_ossl_cipher_name(bench_ossl_conn *conn);
const char *bench_ossl_version_name(bench_ossl_conn *conn);
const char *bench_ossl_group_name(bench_ossl_conn *conn);
/// CPU ns for `iterations` EVP AEAD seals (decrypt = 0) or opens (decrypt = 1) of 16 KiB with libcrypto; -1 on failure.
int64_t bench_ossl_aead_ns(const char *name, int iterations, int decrypt);

#endif
