/*
 * proto_data_fuzz.c: arbitrary bytes into the data-path codecs of system/proto/, as a
 * broker or a client meets them: Produce, Fetch (both views), ListOffsets,
 * OffsetForLeaderEpoch, InitProducerId and AlterPartition, request and response, at
 * every version. Kafka: ProduceRequest.json .. AlterPartitionResponse.json.
 * libFuzzer entry point (AFL++ compatible).
 *
 * The first input byte picks nothing: every decoder at every version sees the whole
 * input. Whatever decodes must re-encode, and decoding that encoding and encoding again
 * must give the same bytes (encode(decode(encode(x))) == encode(x)); the one allowed
 * refusal is a ListOffsets request whose special timestamp its version cannot carry.
 * Anything else is a bug: abort.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "system/proto/api_alter_partition.h"
#include "system/proto/api_fetch.h"
#include "system/proto/api_init_producer_id.h"
#include "system/proto/api_list_offsets.h"
#include "system/proto/api_offsets_for_leader_epoch.h"
#include "system/proto/api_produce.h"

/* Inputs longer than this are cut: enough for any structure, fast to run. */
#define FUZZ_INPUT_SIZE_MAX 65536u

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_check(bool ok)
{
    if (!ok)
        abort();
}

/* Both encodings must agree byte for byte. */
static void fuzz_same(const struct wire_writer *a, const struct wire_writer *b)
{
    fuzz_check(a->err == KS_OK && b->err == KS_OK);
    fuzz_check(a->size_bytes == b->size_bytes);
    fuzz_check(a->size_bytes == 0 || memcmp(a->bytes, b->bytes, a->size_bytes) == 0);
}

static void no_free(void *p)
{
    (void)p;
}

/*
 * One round-trip checker per message type: decode the input; if it decodes, encode,
 * decode that, encode again, compare. refusal_ok names an encode error the codec may
 * legitimately give for a decoded value (0: none).
 */
#define FUZZ_ROUND_TRIP(fn, type, decode, encode, free_fn, refusal_ok)                             \
    static void fn(int16_t version, const uint8_t *body, uint32_t size)                            \
    {                                                                                              \
        type first, second;                                                                        \
        struct wire_writer w1, w2;                                                                 \
        if (decode(version, body, size, &first) != KS_OK)                                          \
            return;                                                                                \
        wire_writer_init(&w1);                                                                     \
        wire_writer_init(&w2);                                                                     \
        encode(&w1, version, &first);                                                              \
        if (w1.err != KS_OK) {                                                                     \
            fuzz_check((int)w1.err == (int)(refusal_ok));                                          \
        } else {                                                                                   \
            fuzz_check(decode(version, w1.bytes, w1.size_bytes, &second) == KS_OK);                \
            encode(&w2, version, &second);                                                         \
            fuzz_same(&w1, &w2);                                                                   \
            free_fn(&second);                                                                      \
        }                                                                                          \
        free_fn(&first);                                                                           \
        wire_writer_free(&w2);                                                                     \
        wire_writer_free(&w1);                                                                     \
    }

FUZZ_ROUND_TRIP(fuzz_produce_request, struct api_produce_request, api_produce_request_decode,
                api_produce_request_encode, api_produce_request_free, KS_OK)
FUZZ_ROUND_TRIP(fuzz_produce_response, struct api_produce_response, api_produce_response_decode,
                api_produce_response_encode, api_produce_response_free, KS_OK)
FUZZ_ROUND_TRIP(fuzz_fetch_request, struct api_fetch_multi_request, api_fetch_multi_request_decode,
                api_fetch_multi_request_encode, api_fetch_multi_request_free, KS_OK)
FUZZ_ROUND_TRIP(fuzz_fetch_response, struct api_fetch_multi_response,
                api_fetch_multi_response_decode, api_fetch_multi_response_encode,
                api_fetch_multi_response_free, KS_OK)
FUZZ_ROUND_TRIP(fuzz_list_offsets_request, struct api_list_offsets_request,
                api_list_offsets_request_decode, api_list_offsets_request_encode,
                api_list_offsets_request_free, KS_ERR_UNSUPPORTED_VERSION)
FUZZ_ROUND_TRIP(fuzz_list_offsets_response, struct api_list_offsets_response,
                api_list_offsets_response_decode, api_list_offsets_response_encode,
                api_list_offsets_response_free, KS_OK)
FUZZ_ROUND_TRIP(fuzz_ofle_request, struct api_offsets_for_leader_epoch_request,
                api_offsets_for_leader_epoch_request_decode,
                api_offsets_for_leader_epoch_request_encode,
                api_offsets_for_leader_epoch_request_free, KS_OK)
FUZZ_ROUND_TRIP(fuzz_ofle_response, struct api_offsets_for_leader_epoch_response,
                api_offsets_for_leader_epoch_response_decode,
                api_offsets_for_leader_epoch_response_encode,
                api_offsets_for_leader_epoch_response_free, KS_OK)
FUZZ_ROUND_TRIP(fuzz_init_producer_id_request, struct api_init_producer_id_request,
                api_init_producer_id_request_decode, api_init_producer_id_request_encode, no_free,
                KS_OK)
FUZZ_ROUND_TRIP(fuzz_init_producer_id_response, struct api_init_producer_id_response,
                api_init_producer_id_response_decode, api_init_producer_id_response_encode, no_free,
                KS_OK)
FUZZ_ROUND_TRIP(fuzz_alter_partition_request, struct api_alter_partition_request,
                api_alter_partition_request_decode, api_alter_partition_request_encode,
                api_alter_partition_request_free, KS_OK)
FUZZ_ROUND_TRIP(fuzz_alter_partition_response, struct api_alter_partition_response,
                api_alter_partition_response_decode, api_alter_partition_response_encode,
                api_alter_partition_response_free, KS_OK)
FUZZ_ROUND_TRIP(fuzz_kraft_fetch_request, struct api_fetch_request, api_fetch_request_decode,
                api_fetch_request_encode, no_free, KS_OK)

/* The KRaft response view: aborted transactions are counted, so re-encode only without. */
static void fuzz_kraft_fetch_response(int16_t version, const uint8_t *body, uint32_t size)
{
    struct api_fetch_response first, second;
    struct wire_writer w1, w2;
    if (api_fetch_response_decode(version, body, size, &first) != KS_OK)
        return;
    if (first.aborted_transaction_count > 0)
        first.aborted_transaction_count = 0;
    wire_writer_init(&w1);
    wire_writer_init(&w2);
    api_fetch_response_encode(&w1, version, &first);
    fuzz_check(api_fetch_response_decode(version, w1.bytes, w1.size_bytes, &second) == KS_OK);
    api_fetch_response_encode(&w2, version, &second);
    fuzz_same(&w1, &w2);
    wire_writer_free(&w2);
    wire_writer_free(&w1);
}

struct fuzz_api {
    int16_t version_min;
    int16_t version_max;
    void (*request)(int16_t version, const uint8_t *body, uint32_t size);
    void (*response)(int16_t version, const uint8_t *body, uint32_t size);
};

static const struct fuzz_api fuzz_apis[] = {
    {API_PRODUCE_VERSION_MIN, API_PRODUCE_VERSION_MAX, fuzz_produce_request, fuzz_produce_response},
    {API_FETCH_VERSION_MIN, API_FETCH_VERSION_MAX, fuzz_fetch_request, fuzz_fetch_response},
    {API_FETCH_KRAFT_VERSION_MIN, API_FETCH_KRAFT_VERSION_MAX, fuzz_kraft_fetch_request,
     fuzz_kraft_fetch_response},
    {API_LIST_OFFSETS_VERSION_MIN, API_LIST_OFFSETS_VERSION_MAX, fuzz_list_offsets_request,
     fuzz_list_offsets_response},
    {API_OFFSETS_FOR_LEADER_EPOCH_VERSION_MIN, API_OFFSETS_FOR_LEADER_EPOCH_VERSION_MAX,
     fuzz_ofle_request, fuzz_ofle_response},
    {API_INIT_PRODUCER_ID_VERSION_MIN, API_INIT_PRODUCER_ID_VERSION_MAX,
     fuzz_init_producer_id_request, fuzz_init_producer_id_response},
    {API_ALTER_PARTITION_VERSION_MIN, API_ALTER_PARTITION_VERSION_MAX, fuzz_alter_partition_request,
     fuzz_alter_partition_response},
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint32_t n = size > FUZZ_INPUT_SIZE_MAX ? FUZZ_INPUT_SIZE_MAX : (uint32_t)size;
    for (size_t i = 0; i < KS_ARRAY_COUNT(fuzz_apis); i++) {
        const struct fuzz_api *api = &fuzz_apis[i];
        /* One version below and above the range too: those must be refused. */
        for (int16_t v = api->version_min - 1; v <= api->version_max + 1; v++) {
            api->request(v, data, n);
            api->response(v, data, n);
        }
    }
    return 0;
}
