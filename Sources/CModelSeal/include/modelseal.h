/*
 * modelseal.h — the C ABI of ModelSeal (libmodelseal_c.so).
 *
 * Conventions
 *   - Every function that can fail returns a status (int32_t): 0 on success, otherwise a code of
 *     the one status table shared with the CLI's exit codes and the Python exceptions
 *     (docs/CLI.md; modelseal_status_name() gives the Python class of a code). Ranges: 10-19
 *     container, 20-29 signatures, 30-39 licenses, 40-49 environment contracts, 50-59 model files.
 *   - On failure, modelseal_last_error() returns a one-line message for the calling thread, valid
 *     until that thread's next modelseal_ call. Success clears it.
 *   - Handles are opaque, made by *_new / *_open and released by the matching *_free / *_close
 *     (NULL accepted). Every handle passed in is checked against the library's table of live
 *     handles (numbers, never reused), so a stale, foreign or wrong-kind handle gives MODELSEAL_USAGE
 *     instead of a crash.
 *     Calls on one handle are serialized; different handles may be used from different threads.
 *   - Out-parameters are written only on success.
 *   - Strings: paths and variable names are NUL-terminated UTF-8; key texts and passphrases are
 *     (pointer, length) pairs and need no terminator.
 *   - No thread started by the library outlives a call, so a process may fork between calls.
 *   - Set SWIFT_BACKTRACE=enable=no in the environment before loading the library (the Python
 *     package does): a trap must never start the Swift backtracer inside a host process. The
 *     library validates its inputs so that no input reaches code that can trap.
 *   - Plaintext is released only after the chunk it belongs to authenticated; a failed decryption
 *     zeroes (buffer) or discards (library buffer, memfd) everything it wrote.
 */
#ifndef MODELSEAL_H
#define MODELSEAL_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Bumped on any incompatible change of this header. */
#define MODELSEAL_ABI_VERSION 1

/* Status codes (the shared table; see docs/CLI.md). */
#define MODELSEAL_OK 0
#define MODELSEAL_INTERNAL_ERROR 1
#define MODELSEAL_WRONG_KEY 10
#define MODELSEAL_TAMPERED 11
#define MODELSEAL_TRUNCATED 12
#define MODELSEAL_MALFORMED 13
#define MODELSEAL_KEY_ERROR 14
#define MODELSEAL_UNSAFE_PARAMETERS 15
#define MODELSEAL_INPUT_ERROR 16
#define MODELSEAL_OUTPUT_ERROR 17
#define MODELSEAL_UNSIGNED 20
#define MODELSEAL_UNTRUSTED_SIGNER 21
#define MODELSEAL_INVALID_SIGNATURE 22
#define MODELSEAL_SIGNING_KEY_ERROR 23
#define MODELSEAL_MALFORMED_SIGNATURE 24
#define MODELSEAL_MODEL_MALFORMED 50
#define MODELSEAL_MODEL_UNSUPPORTED 51
#define MODELSEAL_CONVERSION_REFUSED 52
#define MODELSEAL_SCAN_NOT_WEIGHTS_ONLY 53
#define MODELSEAL_SCAN_DANGEROUS 54
#define MODELSEAL_SCAN_CANNOT_SCAN 55
#define MODELSEAL_USAGE 64

/* Flags. */
#define MODELSEAL_SEAL_REPLACE 1u       /* modelseal_seal_buffer: replace an existing output file */
#define MODELSEAL_MEMFD_INHERITABLE 1u  /* modelseal_file_decrypt_to_memfd: leave FD_CLOEXEC off */

typedef struct modelseal_keyring modelseal_keyring;
typedef struct modelseal_file modelseal_file;

/* ---- versions and errors ---- */

/* MODELSEAL_ABI_VERSION of the loaded library: compare it with the header's before any call. */
uint32_t modelseal_abi_version(void);
/* The library's release, e.g. "0.1.0" (static storage). */
const char *modelseal_version(void);
/* The calling thread's message of its last failed call, or "" (valid until its next call). */
const char *modelseal_last_error(void);
/* The Python exception class of a status ("WrongKeyError"...), "" for 0, "Error" if unknown. */
const char *modelseal_status_name(int32_t status);
/* One line describing a status (static storage). */
const char *modelseal_status_meaning(int32_t status);

/* ---- keys: one ring holds identities (to open) and recipients (to seal) ---- */

int32_t modelseal_keyring_new(modelseal_keyring **out);
void modelseal_keyring_free(modelseal_keyring *ring);
/* A raw key as base64url text (Fernet key text): opens and seals. */
int32_t modelseal_keyring_add_raw_key(modelseal_keyring *ring, const char *text, size_t length);
/* The raw key in environment variable `name` (like --key-env): opens and seals. */
int32_t modelseal_keyring_add_raw_key_env(modelseal_keyring *ring, const char *name);
/* The raw key in a file, 32 binary bytes or base64url text (like --key-file): opens and seals. */
int32_t modelseal_keyring_add_key_file(modelseal_keyring *ring, const char *path);
/* A passphrase: opens, and seals with scrypt cost 2^log2n (0: the default, 18). */
int32_t modelseal_keyring_add_passphrase(modelseal_keyring *ring, const char *text, size_t length, int32_t log2n);
/* Every identity (MODELSEAL-SECRET-KEY-1...) in an identity file (like -i): opens. */
int32_t modelseal_keyring_add_identity_file(modelseal_keyring *ring, const char *path);
/* One identity as text: opens. */
int32_t modelseal_keyring_add_identity(modelseal_keyring *ring, const char *text, size_t length);
/* One recipient (modelseal1...) as text: seals. */
int32_t modelseal_keyring_add_recipient(modelseal_keyring *ring, const char *text, size_t length);
/* Every recipient in a recipients file (like -R): seals. */
int32_t modelseal_keyring_add_recipients_file(modelseal_keyring *ring, const char *path);
/* Signatures and licenses (spec/SIGNATURES.md, docs/LICENSING.md). Trust keys: opening then releases
 * nothing unless a trusted key signed the file (a present signature is always checked). */
int32_t modelseal_keyring_add_trust_key(modelseal_keyring *ring, const char *text, size_t length);
int32_t modelseal_keyring_add_trust_file(modelseal_keyring *ring, const char *path);
/* Every public key in the trust store at `path` (a key file or a folder of key files). An empty,
 * unreadable or group/other-writable store is an error. The library never looks for a store itself
 * and never reads HOME: callers (the Python package) find it and pass it, or pass trust keys. */
int32_t modelseal_keyring_add_trust_store(modelseal_keyring *ring, const char *path);
/* The key modelseal_seal_buffer signs with: a PEM file (passphrase may be NULL), or a pkcs11: URI of a key
 * on a token (module from the URI's module-path or $MODELSEAL_PKCS11_MODULE, PIN from $MODELSEAL_PKCS11_PIN
 * or the URI's pin-source; status 27-29 when the token cannot be used). */
int32_t modelseal_keyring_set_signing_key_file(modelseal_keyring *ring, const char *path, const char *passphrase);
/* Open with this machine-bound license instead of keys: a memory-only load, counted. */
int32_t modelseal_keyring_set_license_file(modelseal_keyring *ring, const char *path);

/* ---- sealing ---- */

/* Seals `length` bytes at `data` to every recipient of `ring` into a new file at `path` (mode 0644,
   made visible only when complete). `chunk_log2` 0 means the default (1 MiB chunks). */
int32_t modelseal_seal_buffer(const uint8_t *data, size_t length, const modelseal_keyring *ring, const char *path,
                              uint32_t chunk_log2, uint32_t flags);

/* ---- opening ---- */

/* Opens a sealed file and parses its header (unverified until unlocked). The article's Fernet file
   (a Fernet token, recognised by content) is opened too: it unlocks only with raw keys, never under
   trust keys or a license (no signature or license can be checked), and unlocking authenticates the
   whole token, so modelseal_file_verify has nothing left to do for it. */
int32_t modelseal_file_open(const char *path, modelseal_file **out);
/* Same, over a copy of `length` bytes at `data`. */
int32_t modelseal_file_open_memory(const uint8_t *data, size_t length, modelseal_file **out);
void modelseal_file_close(modelseal_file *file);
/* Finds the file key with the ring's identities and verifies the header MAC. */
int32_t modelseal_file_unlock(modelseal_file *file, const modelseal_keyring *ring);
/* Plaintext length (after unlock). */
int32_t modelseal_file_plaintext_length(modelseal_file *file, uint64_t *out);
/* Authenticates every chunk; releases nothing. */
int32_t modelseal_file_verify(modelseal_file *file);
/* Decrypts into the caller's buffer of `capacity` >= plaintext length bytes, on all cores, each chunk
   straight into its place. For a signed file, each chunk's ciphertext is compared with its signed hash
   before it is decrypted: no byte of a chunk that was not signed is ever written into the buffer, even
   while the call runs. Every chunk is authenticated by its AEAD tag in the same pass that decrypts it,
   and one that fails is zeroed in place; so, for an unsigned file, another thread reading the buffer
   during the call may see bytes of a chunk that then fails its tag. On any failure the plaintext range
   is zeroed before the call returns the error, and nothing is returned partially. */
int32_t modelseal_file_decrypt_into(modelseal_file *file, uint8_t *buffer, size_t capacity);
/* Decrypts into a buffer the library allocates; release it with modelseal_buffer_free. An empty
   plaintext gives a valid non-NULL pointer and length 0. */
int32_t modelseal_file_decrypt(modelseal_file *file, uint8_t **out, size_t *out_length);
void modelseal_buffer_free(uint8_t *buffer);
/* Decrypts into a new memfd sealed against writes, growth and shrinking (Linux); the caller owns
   and closes the descriptor. Readable as /proc/self/fd/N. Nothing is left on failure. */
/* Checks an unlocked file's environment contract against the Python environment `python`
 * (sys.executable or sys.prefix): status 40/41 with the diff as last error when the policy forbids
 * it; *out_report (may be NULL) gets tolerated differences ("" if none), free with modelseal_buffer_free. */
int32_t modelseal_file_check_environment(modelseal_file *file, const char *python, uint8_t **out_report);
int32_t modelseal_file_decrypt_to_memfd(modelseal_file *file, const char *name, uint32_t flags, int32_t *out_fd);

/* ---- random access and sealed folders (docs/LARGE-MODELS.md, spec/FOLDERS.md) ---- */

/* Decrypts plaintext bytes [offset, offset + count) of an unlocked sealed file into `buffer`, opening only
   the chunks that hold them; each is authenticated and, for a signed file, compared with its signed leaf
   hash (whose list the signatures covered at unlock) before any of its bytes are copied. The first call
   on a handle also authenticates the last chunk (a file cut short is refused). A range past the end is
   refused; on any failure the buffer is zeroed. Not for the article's Fernet files (status 51). */
int32_t modelseal_file_read_at(modelseal_file *file, uint64_t offset, uint8_t *buffer, size_t count);
/* read_at for `count` ranges in one call: plaintext bytes offsets[i] .. offsets[i] + lengths[i] into
   buffers[i] (a loader giving every tensor its own memory). Each chunk is opened once, on all cores: one
   wholly inside a buffer is decrypted straight into it, one that several ranges share is opened in private
   memory and each part copied out. Ranges may come in any order; overlapping ranges or one past the end
   of the plaintext give status 16, as read_at does, and more than 2^24 ranges or a NULL array or buffer
   with a non-zero length MODELSEAL_USAGE, all before anything is written. Nothing of a failing call stays
   in the buffers: once decryption has begun, a failure zeroes every buffer before it returns. */
int32_t modelseal_file_read_extents(modelseal_file *file, const uint64_t *offsets, uint8_t *const *buffers,
                                    const size_t *lengths, size_t count);
/* The header of an unlocked sealed safetensors file, read through read_at and checked by the library's
   safetensors reader (tensors tile the data exactly, dtypes and shapes match their byte ranges), as JSON:
   {"data_offset":N,"metadata":{..}|null,"tensors":[{"name","dtype","shape","begin","end"},..]} with
   absolute plaintext offsets, in header order. Status 50 for a plaintext that is not safetensors. Free the
   buffer with modelseal_buffer_free. */
int32_t modelseal_file_safetensors_header(modelseal_file *file, uint8_t **out, size_t *out_length);

typedef struct modelseal_folder modelseal_folder;
/* Opens a sealed model folder with the ring's keys, trust and license: decrypts its set manifest in
   memory after every check, then refuses a missing or extra file, a clear file whose hash differs and a
   sealed member whose length or header differs from the manifest's (status 45), before returning. */
int32_t modelseal_folder_open(const char *path, const modelseal_keyring *ring, modelseal_folder **out);
void modelseal_folder_close(modelseal_folder *folder);
/* The verified manifest as canonical JSON (spec/FOLDERS.md §1); free with modelseal_buffer_free. */
int32_t modelseal_folder_manifest(modelseal_folder *folder, uint8_t **out, size_t *out_length);
/* The sealed member `name` (its name without .mseal), checked against the manifest and unlocked with the
   folder's keys: a file handle ready for decrypt_into or read_at; close it with modelseal_file_close. */
int32_t modelseal_folder_open_member(modelseal_folder *folder, const char *name, modelseal_file **out);
/* The clear member `name`, checked against its SHA-256 in the manifest; free with modelseal_buffer_free. */
int32_t modelseal_folder_read_clear(modelseal_folder *folder, const char *name, uint8_t **out, size_t *out_length);

/* Keys from the vendor's key server (docs/SERVER.md §Client). The caller speaks HTTP; the library signs the
   request with this machine's activation (the licensing folder: $MODELSEAL_LICENSE_DIR, else its default;
   `modelseal activate --server URL --token-file FILE` makes it), verifies the answer (server signature,
   nonce, file, machine), opens the wrapped file key with the machine key (software or TPM) and adds it to a
   keyring; the file key never leaves the library. The lease cache is the CLI's: a cached release is used
   only when the server did not answer, while its lease runs; any HTTP refusal deletes it. */
typedef struct modelseal_server_request modelseal_server_request;
/* A release request for the sealed file to the server at url (http://HOST:PORT[/PREFIX]). */
int32_t modelseal_server_request_new(modelseal_file *file, const char *url, modelseal_server_request **out);
void modelseal_server_request_free(modelseal_server_request *request);
/* The HTTP request as JSON: scheme, host, port, method, target, headers (object), body (text to send as is),
   and tls_spki_sha256 for https; free with modelseal_buffer_free. The first call signs it with this
   machine's activation (not activated: 30); later calls give the same request (a retry, same nonce). */
int32_t modelseal_server_request_http(modelseal_server_request *request, uint8_t **out, size_t *out_length);
/* The server's answer (HTTP status, body of at most 1 MiB): a verified release adds the file key to ring;
   a refusal deletes the cached lease and fails (30 revoked or refused, 31 expired, 34 wrong model, 35 over
   quota, 16 rate-limited or server error, 13 an answer that is not a valid release). */
int32_t modelseal_keyring_add_server_answer(modelseal_keyring *ring, modelseal_server_request *request,
                                            int32_t status, const uint8_t *body, size_t length);
/* No answer (reason: the network error, for the message): the cached release until its lease's offline grace
   ends (offline_until, else its expiry; see modelseal_server_request_result's note), else 16. */
int32_t modelseal_keyring_add_server_unreachable(modelseal_keyring *ring, modelseal_server_request *request,
                                                 const char *reason);
/* After an answer, as JSON: note (the warning to show when the cached lease was used, or null),
   lease_expires_at (Unix seconds or null; for a cached lease, when its offline grace ends), failure (null, or kind: unreachable, refused, protocol,
   not_activated, local, usage; with http_status and code for a refusal); free with modelseal_buffer_free. */
int32_t modelseal_server_request_result(modelseal_server_request *request, uint8_t **out, size_t *out_length);
/* The TLS pin of a DER certificate (at most 64 KiB): lowercase hex SHA-256 of its SubjectPublicKeyInfo, 64
   characters and a NUL into out (out_length >= 65). A certificate that is not X.509 DER: 13. */
int32_t modelseal_tls_spki_sha256(const uint8_t *der, size_t length, char *out, size_t out_length);

#ifdef __cplusplus
}
#endif

#endif /* MODELSEAL_H */
