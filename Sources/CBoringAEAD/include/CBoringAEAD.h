// The BoringSSL AEAD entry points ModelSeal's chunk cipher calls to seal and open a chunk in the
// caller's memory (ContainerEngine/Payload/AEADContext.swift).
//
// swift-crypto's public AES.GCM and ChaChaPoly return a new Data for every call; a 1 MiB chunk then
// costs an allocation and two extra copies (profiled in docs/BENCHMARKS.md, "Chunk cipher in place").
// swift-crypto links its own copy of BoringSSL with every symbol prefixed `CCryptoBoringSSL_`, and
// does not export that C module as a product, so the declarations below name those symbols directly.
// They are BoringSSL's documented public API (include/openssl/aead.h): EVP_AEAD_CTX seal/open may run
// concurrently on one context; `out` may equal `in` exactly; on failure `out` is filled with zeros.
// The definitions come from the swift-crypto package every target using this one also links; a
// swift-crypto that renamed them would fail at link time, not at run time. Nothing here is copied
// from BoringSSL: these are declarations only.
#ifndef MODELSEAL_CBORINGAEAD_H
#define MODELSEAL_CBORINGAEAD_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct modelseal_evp_aead modelseal_evp_aead;
typedef struct modelseal_evp_aead_ctx modelseal_evp_aead_ctx;

const modelseal_evp_aead *CCryptoBoringSSL_EVP_aead_aes_256_gcm(void);
const modelseal_evp_aead *CCryptoBoringSSL_EVP_aead_chacha20_poly1305(void);

modelseal_evp_aead_ctx *CCryptoBoringSSL_EVP_AEAD_CTX_new(
    const modelseal_evp_aead *aead, const uint8_t *key, size_t key_len, size_t tag_len);
void CCryptoBoringSSL_EVP_AEAD_CTX_free(modelseal_evp_aead_ctx *ctx);

int CCryptoBoringSSL_EVP_AEAD_CTX_seal(
    const modelseal_evp_aead_ctx *ctx, uint8_t *out, size_t *out_len, size_t max_out_len, const uint8_t *nonce,
    size_t nonce_len, const uint8_t *in, size_t in_len, const uint8_t *ad, size_t ad_len);
int CCryptoBoringSSL_EVP_AEAD_CTX_open(
    const modelseal_evp_aead_ctx *ctx, uint8_t *out, size_t *out_len, size_t max_out_len, const uint8_t *nonce,
    size_t nonce_len, const uint8_t *in, size_t in_len, const uint8_t *ad, size_t ad_len);

void CCryptoBoringSSL_ERR_clear_error(void);

#ifdef __cplusplus
}
#endif

#endif
