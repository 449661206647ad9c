/* Shared helpers of the libFuzzer harnesses: invariant checks that abort with a message. */
#ifndef SW_FUZZ_COMMON_H
#define SW_FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

/* libFuzzer's entry points (no header ships them). */
int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* An invariant that does not hold is a finding: say which, then abort so libFuzzer saves
 * the input (abort() is a "deadly signal" to it, like a sanitizer report). */
#define FUZZ_CHECK(cond)                                                                           \
        do {                                                                                       \
                if (!(cond)) {                                                                     \
                        fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__,       \
                                #cond);                                                            \
                        abort();                                                                   \
                }                                                                                  \
        } while (0)

#endif
