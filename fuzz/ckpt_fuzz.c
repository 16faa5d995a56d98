/*
 * ckpt_fuzz.c: fuzzes the checkpoint parsers (system/log/ckpt.c) with arbitrary text.
 * Kafka: CheckpointFile, OffsetCheckpointFile, LeaderEpochCheckpointFile.
 *
 * libFuzzer entry point; AFL++ through its libFuzzer driver. Both parsers see every
 * input. Properties: nothing crashes or reads out of bounds; what parses formats back
 * to text that parses to the same entries (format, parse, format is a fixed point).
 * Seeds: fuzz/corpus/ckpt/.
 */
#include <stdlib.h>
#include <string.h>

#include "system/log/ckpt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_offsets(const uint8_t *data, size_t size)
{
    struct ckpt_offset_entry *e = NULL, *again = NULL;
    uint32_t n = 0, n_again = 0;
    if (ckpt_offsets_parse(data, size, &e, &n) != KS_OK)
        return;
    char *text = NULL;
    size_t text_size = 0;
    ckpt_offsets_format(e, n, &text, &text_size);
    KS_ASSERT(ckpt_offsets_parse((const uint8_t *)text, text_size, &again, &n_again) == KS_OK);
    KS_ASSERT(n_again == n);
    for (uint32_t i = 0; i < n; i++) {
        KS_ASSERT(strcmp(again[i].topic, e[i].topic) == 0);
        KS_ASSERT(again[i].partition == e[i].partition);
        KS_ASSERT(again[i].offset == e[i].offset);
    }
    free(text);
    free(again);
    free(e);
}

static void fuzz_epochs(const uint8_t *data, size_t size)
{
    struct ckpt_epoch_entry *e = NULL, *again = NULL;
    uint32_t n = 0, n_again = 0;
    if (ckpt_epochs_parse(data, size, &e, &n) != KS_OK)
        return;
    char *text = NULL;
    size_t text_size = 0;
    ckpt_epochs_format(e, n, &text, &text_size);
    KS_ASSERT(ckpt_epochs_parse((const uint8_t *)text, text_size, &again, &n_again) == KS_OK);
    KS_ASSERT(n_again == n);
    KS_ASSERT(n == 0 || memcmp(again, e, (size_t)n * sizeof(*e)) == 0);
    free(text);
    free(again);
    free(e);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_offsets(data, size);
    fuzz_epochs(data, size);
    return 0;
}
