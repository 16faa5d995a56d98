/*
 * rb_decode_fuzz.c: fuzzes the RecordBatch v2 decoder (system/log/rb.c) and the codecs
 * behind it with arbitrary bytes. Kafka: DefaultRecordBatch, as a broker meets it in a
 * produce request, a replica fetch or a segment after a crash.
 *
 * libFuzzer entry point; AFL++ runs it through its libFuzzer driver (libAFLDriver).
 * Each input is decoded as it is and again with its CRC recomputed, so that mutations
 * get past the checksum into the codecs and the record parser.
 * Properties: nothing crashes, leaks or reads out of bounds; the scan of a buffer as a
 * segment steps forward and stops; a batch that decodes can be iterated to the end, and
 * rebuilt uncompressed from its records it decodes again to the same records.
 * Seeds: fuzz/corpus/rb_decode/; dictionary: fuzz/rb.dict.
 */
#include <stdlib.h>
#include <string.h>

#include "system/log/rb.h"

#define RB_FUZZ_SCAN_BATCHES_MAX 4096u

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Walks data as a segment does in recovery: batch after batch until one fails. */
static void fuzz_scan_segment(const uint8_t *data, size_t size)
{
    size_t position = 0;
    for (uint32_t i = 0; i < RB_FUZZ_SCAN_BATCHES_MAX && position < size; i++) {
        struct rb_scan scan;
        if (rb_scan(data + position, size - position, &scan) != KS_OK)
            return;
        KS_ASSERT(scan.size_bytes >= RB_HEADER_SIZE);
        KS_ASSERT(scan.size_bytes <= size - position);
        position += scan.size_bytes;
    }
}

/* Rebuilds the batch's records uncompressed and checks they decode to the same. */
static void fuzz_rebuild(const struct rb_batch *batch)
{
    struct rb_builder b;
    rb_builder_init(&b, RB_COMPRESSION_NONE);
    struct rb_iter it;
    struct rb_record r;
    rb_iter_init(&it, batch);
    struct rb_record_header headers[64];
    while (rb_iter_next(&it, &r)) {
        uint32_t pos = 0, n = 0;
        while (n < 64 && rb_record_header_next(&r, &pos, &headers[n]))
            n++;
        if (n == 64)
            goto release; /* more headers than this check keeps */
        struct rb_record_input in = {r.timestamp,  r.key,   r.key_size, r.value,
                                     r.value_size, headers, n};
        if (rb_builder_append_at(&b, r.offset_delta, &in) != KS_OK)
            goto release;
    }
    uint8_t *bytes = NULL;
    uint32_t size = 0;
    if (rb_builder_finish(&b, &bytes, &size) != KS_OK)
        goto release;
    struct rb_batch again;
    KS_ASSERT(rb_decode(bytes, size, &again) == KS_OK);
    KS_ASSERT(again.header.records_count == batch->header.records_count);
    struct rb_iter it2;
    struct rb_record r2;
    rb_iter_init(&it, batch);
    rb_iter_init(&it2, &again);
    while (rb_iter_next(&it, &r)) {
        KS_ASSERT(rb_iter_next(&it2, &r2));
        KS_ASSERT(r2.offset_delta == r.offset_delta);
        KS_ASSERT(r2.key_size == r.key_size && (r2.key == NULL) == (r.key == NULL));
        KS_ASSERT(r2.value_size == r.value_size && (r2.value == NULL) == (r.value == NULL));
        KS_ASSERT(r.value == NULL || memcmp(r2.value, r.value, r.value_size) == 0);
        KS_ASSERT(r2.header_count == r.header_count);
    }
    rb_batch_release(&again);
    free(bytes);
release:
    rb_builder_release(&b);
}

/* Decodes one buffer and checks what a decoded batch promises. */
static void fuzz_decode(const uint8_t *data, size_t size)
{
    struct rb_batch batch;
    if (rb_decode(data, size, &batch) != KS_OK)
        return;
    struct rb_iter it;
    struct rb_record r;
    rb_iter_init(&it, &batch);
    int32_t count = 0;
    while (rb_iter_next(&it, &r)) {
        uint32_t pos = 0;
        struct rb_record_header h;
        uint32_t headers = 0;
        while (rb_record_header_next(&r, &pos, &h))
            headers++;
        KS_ASSERT(headers == r.header_count);
        int16_t type = 0;
        int32_t coordinator_epoch = 0;
        if ((batch.header.attributes & RB_ATTR_CONTROL) != 0 &&
            rb_control_type_decode(&r, &type) == KS_OK)
            (void)rb_control_marker_decode(&r, &coordinator_epoch);
        count++;
    }
    KS_ASSERT(count == batch.header.records_count);
    fuzz_rebuild(&batch);
    rb_batch_release(&batch);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_scan_segment(data, size);
    fuzz_decode(data, size);
    /* Most mutations only break the CRC; a copy with the CRC made right again lets them
     * reach the codecs and the record parser. */
    if (size < RB_HEADER_SIZE)
        return 0;
    uint8_t *copy = malloc(size);
    KS_ASSERT(copy != NULL);
    memcpy(copy, data, size);
    if (rb_crc_update(copy, size) == KS_OK)
        fuzz_decode(copy, size);
    free(copy);
    return 0;
}
