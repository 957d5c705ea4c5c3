// OpenSSL 3 driven in memory: the two SSL objects of a pair share a BIO pair (BIO_new_bio_pair), so a record is
// copied once into the pair's buffer by the writer and once out of it by the reader — as TLSKit's loop copies it
// out of one engine (takeOutput) and into the other (receive). (Two memory BIOs with a copy between them charged
// OpenSSL one extra copy per record.) Written in C because the SSL_CTX_set_* and
// SSL_set_tlsext_host_name "functions" are macros that Swift cannot import.
#include "CBenchSupport.h"
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct bench_ossl_ctx { SSL_CTX *ctx; int server; };
// bio: this side's half of the pair (owned by ssl); peer_end: the other half until the peer adopts it.
struct bench_ossl_conn { SSL *ssl; BIO *bio; BIO *peer_end; SSL_SESSION *session; };

static void report(const char *what) {
    fprintf(stderr, "openssl: %s failed\n", what);
    ERR_print_errors_fp(stderr);
}

bench_ossl_ctx *bench_ossl_ctx_new(int server, int version, const char *cert_pem, const char *key_pem,
                                   const char *ca_pem, const char *ciphers, const char *groups, int tickets,
                                   int session_cache) {
    SSL_CTX *ctx = SSL_CTX_new(server ? TLS_server_method() : TLS_client_method());
    if (!ctx) { report("SSL_CTX_new"); return NULL; }
    int v = version == 12 ? TLS1_2_VERSION : TLS1_3_VERSION;
    SSL_CTX_set_min_proto_version(ctx, v);
    SSL_CTX_set_max_proto_version(ctx, v);
    if (version == 12) {
        if (ciphers && !SSL_CTX_set_cipher_list(ctx, ciphers)) { report("set_cipher_list"); goto fail; }
    } else {
        if (ciphers && !SSL_CTX_set_ciphersuites(ctx, ciphers)) { report("set_ciphersuites"); goto fail; }
    }
    if (groups && !SSL_CTX_set1_groups_list(ctx, groups)) { report("set1_groups_list"); goto fail; }
    if (!tickets) SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
    if (version == 13 && server) SSL_CTX_set_num_tickets(ctx, (size_t)tickets);
    SSL_CTX_set_session_cache_mode(ctx, session_cache ? (server ? SSL_SESS_CACHE_SERVER : SSL_SESS_CACHE_CLIENT)
                                                      : SSL_SESS_CACHE_OFF);
    if (server) {
        // cert_pem: the leaf, then the intermediates the server sends with it.
        BIO *b = BIO_new_mem_buf(cert_pem, -1);
        X509 *cert = PEM_read_bio_X509(b, NULL, NULL, NULL);
        if (!cert || !SSL_CTX_use_certificate(ctx, cert)) { report("use_certificate"); X509_free(cert); BIO_free(b); goto fail; }
        X509_free(cert);
        X509 *extra;
        while ((extra = PEM_read_bio_X509(b, NULL, NULL, NULL)) != NULL) {
            if (!SSL_CTX_add0_chain_cert(ctx, extra)) { report("add0_chain_cert"); X509_free(extra); BIO_free(b); goto fail; }
        }
        ERR_clear_error();  // the loop ends on "no start line"
        BIO_free(b);
        b = BIO_new_mem_buf(key_pem, -1);
        EVP_PKEY *key = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL);
        BIO_free(b);
        if (!key || !SSL_CTX_use_PrivateKey(ctx, key)) { report("use_PrivateKey"); EVP_PKEY_free(key); goto fail; }
        EVP_PKEY_free(key);
        static const unsigned char sid_ctx[] = "tlskit-bench";
        SSL_CTX_set_session_id_context(ctx, sid_ctx, sizeof sid_ctx - 1);
    } else {
        BIO *b = BIO_new_mem_buf(ca_pem, -1);
        X509 *ca = PEM_read_bio_X509(b, NULL, NULL, NULL);
        BIO_free(b);
        if (!ca || !X509_STORE_add_cert(SSL_CTX_get_cert_store(ctx), ca)) { report("add CA"); X509_free(ca); goto fail; }
        X509_free(ca);
        SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
    }
    bench_ossl_ctx *result = malloc(sizeof *result);
    result->ctx = ctx;
    result->server = server;
    return result;
fail:
    SSL_CTX_free(ctx);
    return NULL;
}

void bench_ossl_ctx_free(bench_ossl_ctx *ctx) {
    if (!ctx) return;
    SSL_CTX_free(ctx->ctx);
    free(ctx);
}

bench_ossl_conn *bench_ossl_conn_new(bench_ossl_ctx *ctx, const char *sni, bench_ossl_conn *peer) {
    SSL *ssl = SSL_new(ctx->ctx);
    if (!ssl) { report("SSL_new"); return NULL; }
    BIO *bio = NULL, *peer_end = NULL;
    if (peer) {
        bio = peer->peer_end;
        peer->peer_end = NULL;
    } else if (!BIO_new_bio_pair(&bio, 20 * 1024, &peer_end, 20 * 1024)) {  // a 16 KiB record and its overhead
        report("BIO_new_bio_pair"); SSL_free(ssl); return NULL;
    }
    if (!bio) { SSL_free(ssl); return NULL; }
    SSL_set_bio(ssl, bio, bio);  // one reference, used for both directions
    if (ctx->server) {
        SSL_set_accept_state(ssl);
    } else {
        SSL_set_connect_state(ssl);
        if (sni) {
            SSL_set_tlsext_host_name(ssl, sni);
            SSL_set1_host(ssl, sni);  // hostname verification, as the other contenders do
        }
    }
    bench_ossl_conn *conn = calloc(1, sizeof *conn);
    conn->ssl = ssl;
    conn->bio = bio;
    conn->peer_end = peer_end;
    return conn;
}

void bench_ossl_conn_free(bench_ossl_conn *conn) {
    if (!conn) return;
    if (conn->session) SSL_SESSION_free(conn->session);
    // Count the connection as cleanly closed: SSL_free after an unclean end drops its session from the cache and
    // marks it not resumable (ssl_clear_bad_session), which would make every resumed row a full handshake.
    SSL_set_shutdown(conn->ssl, SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
    SSL_free(conn->ssl);  // frees this side's BIO
    if (conn->peer_end) BIO_free(conn->peer_end);
    free(conn);
}

int bench_ossl_handshake(bench_ossl_conn *conn) {
    int r = SSL_do_handshake(conn->ssl);
    if (r == 1) return 1;
    int e = SSL_get_error(conn->ssl, r);
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) return 0;
    report("SSL_do_handshake");
    return -1;
}

int bench_ossl_transfer(bench_ossl_conn *from, bench_ossl_conn *to) {
    (void)from;  // the pair already holds what `from` wrote: no copy here
    return (int)BIO_ctrl_pending(to->bio);
}

int bench_ossl_write(bench_ossl_conn *conn, const uint8_t *bytes, int length) {
    size_t written = 0;
    if (!SSL_write_ex(conn->ssl, bytes, (size_t)length, &written)) { report("SSL_write"); return -1; }
    return (int)written;
}

int bench_ossl_read_all(bench_ossl_conn *conn, uint8_t *buffer, int capacity) {
    int total = 0;
    for (;;) {
        size_t n = 0;
        if (SSL_read_ex(conn->ssl, buffer, (size_t)capacity, &n)) { total += (int)n; continue; }
        int e = SSL_get_error(conn->ssl, 0);
        if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) { ERR_clear_error(); return total; }
        report("SSL_read");
        return -1;
    }
}

int bench_ossl_save_session(bench_ossl_conn *client) {
    if (client->session) SSL_SESSION_free(client->session);
    client->session = SSL_get1_session(client->ssl);
    return client->session != NULL && SSL_SESSION_is_resumable(client->session);
}

void bench_ossl_offer_session(bench_ossl_conn *client, bench_ossl_conn *from) {
    if (from->session) SSL_set_session(client->ssl, from->session);
}

int bench_ossl_session_reused(bench_ossl_conn *conn) { return SSL_session_reused(conn->ssl); }
const char *bench_ossl_cipher_name(bench_ossl_conn *conn) { return SSL_get_cipher_name(conn->ssl); }
const char *bench_ossl_version_name(bench_ossl_conn *conn) { return SSL_get_version(conn->ssl); }
const char *bench_ossl_group_name(bench_ossl_conn *conn) {
    int nid = SSL_get_negotiated_group(conn->ssl);
    const char *name = OBJ_nid2sn(nid & ~TLSEXT_nid_unknown);
    return name ? name : "?";
}

// The ceiling: what `openssl speed -evp NAME -bytes 16384` measures (EVP encryption of 16 KiB blocks, plus the
// tag), timed here with the process CPU clock. (`openssl speed` itself times with SIGALRM, which never arrives when
// started from a Swift process whose threads block signals.) decrypt != 0 measures open, tag check included.
int64_t bench_ossl_aead_ns(const char *name, int iterations, int decrypt) {
    const EVP_CIPHER *cipher = EVP_get_cipherbyname(name);
    if (!cipher) return -1;
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    static unsigned char in[16384], out[16384 + 32], sealed[16384], tag[16];
    unsigned char key[32] = {1}, iv[12] = {2};
    int len = 0;
    // Make a valid ciphertext and tag for the open direction.
    EVP_EncryptInit_ex(ctx, cipher, NULL, key, iv);
    EVP_EncryptUpdate(ctx, sealed, &len, in, sizeof in);
    EVP_EncryptFinal_ex(ctx, sealed + len, &len);
    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, 16, tag);
    int64_t start = bench_process_cpu_ns();
    for (int i = 0; i < iterations; i++) {
        if (decrypt) {
            EVP_DecryptInit_ex(ctx, cipher, NULL, key, iv);
            EVP_DecryptUpdate(ctx, out, &len, sealed, sizeof sealed);
            EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, 16, tag);
            if (EVP_DecryptFinal_ex(ctx, out + len, &len) != 1) { EVP_CIPHER_CTX_free(ctx); return -1; }
        } else {
            EVP_EncryptInit_ex(ctx, cipher, NULL, key, iv);
            EVP_EncryptUpdate(ctx, out, &len, in, sizeof in);
            EVP_EncryptFinal_ex(ctx, out + len, &len);
            EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, 16, tag);
        }
    }
    int64_t elapsed = bench_process_cpu_ns() - start;
    EVP_CIPHER_CTX_free(ctx);
    return elapsed;
}
