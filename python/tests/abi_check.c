/* Compiled against modelseal.h and linked with libmodelseal_c.so by test_python_abi.py: the header
   declares what the library exports, with types a C compiler accepts. Exercises misuse too. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "modelseal.h"

#define EXPECT(condition)                                                   \
    do {                                                                    \
        if (!(condition)) {                                                 \
            fprintf(stderr, "failed: %s (line %d): %s\n", #condition, __LINE__, \
                    modelseal_last_error());                                \
            return 1;                                                       \
        }                                                                   \
    } while (0)

int main(int argc, char **argv) {
    if (argc != 3) return 2; /* sealed file, key text */
    EXPECT(modelseal_abi_version() == MODELSEAL_ABI_VERSION);
    EXPECT(strlen(modelseal_version()) > 0);
    EXPECT(strcmp(modelseal_status_name(MODELSEAL_WRONG_KEY), "WrongKeyError") == 0);

    modelseal_keyring *ring = NULL;
    EXPECT(modelseal_keyring_new(&ring) == MODELSEAL_OK);
    EXPECT(modelseal_keyring_add_raw_key(ring, argv[2], strlen(argv[2])) == MODELSEAL_OK);
    EXPECT(modelseal_keyring_add_raw_key(ring, "nope", 4) == MODELSEAL_KEY_ERROR);
    EXPECT(strlen(modelseal_last_error()) > 0);

    modelseal_file *file = NULL;
    EXPECT(modelseal_file_open(argv[1], &file) == MODELSEAL_OK);
    EXPECT(strlen(modelseal_last_error()) == 0);
    uint64_t length = 0;
    EXPECT(modelseal_file_plaintext_length(file, &length) == MODELSEAL_USAGE); /* not unlocked yet */
    EXPECT(modelseal_file_unlock(file, ring) == MODELSEAL_OK);
    EXPECT(modelseal_file_plaintext_length(file, &length) == MODELSEAL_OK);

    /* caller buffer, too small then right */
    uint8_t *mine = malloc(length + 1);
    EXPECT(modelseal_file_decrypt_into(file, mine, length ? length - 1 : 0) == (length ? MODELSEAL_USAGE : MODELSEAL_OK));
    EXPECT(modelseal_file_decrypt_into(file, mine, length) == MODELSEAL_OK);
    /* library buffer */
    uint8_t *theirs = NULL;
    size_t theirs_length = 0;
    EXPECT(modelseal_file_decrypt(file, &theirs, &theirs_length) == MODELSEAL_OK);
    EXPECT(theirs != NULL && theirs_length == length && memcmp(mine, theirs, length) == 0);
    modelseal_buffer_free(theirs);
    modelseal_buffer_free(theirs); /* a second free is ignored */
    modelseal_buffer_free(mine + 1); /* a foreign pointer is ignored */
    /* memfd */
    int32_t fd = -1;
    EXPECT(modelseal_file_decrypt_to_memfd(file, "abi-check", 0, &fd) == MODELSEAL_OK && fd >= 0);
    EXPECT(modelseal_file_decrypt_to_memfd(file, "abi-check", 0x80, &fd) == MODELSEAL_USAGE);
    EXPECT(modelseal_file_verify(file) == MODELSEAL_OK);

    /* misuse: NULLs, wrong-kind and closed handles */
    EXPECT(modelseal_file_open(NULL, &file) == MODELSEAL_USAGE);
    EXPECT(modelseal_file_open(argv[1], NULL) == MODELSEAL_USAGE);
    EXPECT(modelseal_file_unlock((modelseal_file *)ring, ring) == MODELSEAL_USAGE);
    EXPECT(modelseal_file_decrypt_into(file, NULL, 5) == MODELSEAL_USAGE);
    EXPECT(modelseal_file_open_memory(NULL, 10, &file) == MODELSEAL_USAGE);
    modelseal_file_close(file);
    modelseal_file_close(file);
    EXPECT(modelseal_file_verify(file) == MODELSEAL_USAGE);
    modelseal_keyring_free(ring);
    EXPECT(modelseal_keyring_add_raw_key_env(ring, "MODEL_KEY") == MODELSEAL_USAGE);
    modelseal_keyring_free(NULL);
    modelseal_file_close(NULL);
    free(mine);
    printf("abi ok %llu\n", (unsigned long long)length);
    return 0;
}
