/*
 * fetcher.h: the replica fetcher of one follower broker towards one leader broker:
 * one connection, one Fetch request in flight for every partition this broker follows
 * on that leader. Kafka: ReplicaFetcherThread, AbstractFetcherThread (processFetchRequest,
 * truncateOnFetchResponse, getOffsetTruncationState), ReplicaFetcherManager (one
 * fetcher per leader broker, num.replica.fetchers = 1).
 *
 * Each request is Fetch v12 (names, LastFetchedEpoch, DivergingEpoch) with replica id
 * = this broker, and per partition the current leader epoch, the fetch offset (the log
 * end offset), the last fetched epoch (the log's latest epoch) and the log start
 * offset; replica.fetch.max.bytes per partition, replica.fetch.wait.max.ms and
 * replica.fetch.min.bytes for the long poll. A response's records are appended as
 * follower (offsets and epochs kept); the high watermark becomes min(leader's, own log
 * end offset); the log start offset follows the leader's (bounded by the high
 * watermark). A DivergingEpoch (KIP-320) truncates the log to min(the leader's end
 * offset for that epoch, the follower's own end of it): never to the high watermark.
 * Errors and broken connections back off for replica.fetch.backoff.ms.
 *
 * OFFSET_OUT_OF_RANGE (AbstractFetcherThread.handleOutOfRangeError): the fetcher stops
 * fetching and asks the leader with ListOffsets v7 (replica id = this broker) for its
 * log end offset; a follower above it truncates to it; otherwise it asks for the
 * leader's log start offset, and a follower whose log ends below that truncates fully
 * and fetches from the leader's log start offset (the leader's retention or
 * DeleteRecords went past it); else it fetches on from its log end offset.
 *
 * States: IDLE (nothing to fetch, or ready to send), CONNECTING, AWAIT_RESPONSE,
 * BACKOFF. Ownership: the fetcher owns its connection and timer; it borrows the parts
 * (they live as long as the replica manager).
 */
#ifndef KS_BROKER_FETCHER_H
#define KS_BROKER_FETCHER_H

#include "part.h"
#include "system/proto/frame.h"

#define FETCHER_PARTS_MAX 4096u
#define FETCHER_HOST_BYTES_MAX 256u
#define FETCHER_VERSION 12
#define FETCHER_LIST_OFFSETS_VERSION 7
#define FETCHER_FRAME_BYTES_MAX (64u * 1024u * 1024u)

struct fetcher_config {
    int32_t broker_id;
    int32_t fetch_max_bytes;          /* replica.fetch.max.bytes, 1048576 */
    int32_t fetch_response_max_bytes; /* replica.fetch.response.max.bytes, 10485760 */
    int32_t fetch_wait_max_ms;        /* replica.fetch.wait.max.ms, 500 */
    int32_t fetch_min_bytes;          /* replica.fetch.min.bytes, 1 */
    int32_t fetch_backoff_ms;         /* replica.fetch.backoff.ms, 1000 */
};

enum fetcher_state {
    FETCHER_IDLE,
    FETCHER_CONNECTING,
    FETCHER_AWAIT_RESPONSE,
    FETCHER_BACKOFF,
};

/* A partition in the request in flight, as it was sent. */
struct fetcher_sent {
    struct part *part;
    int32_t leader_epoch;
    int64_t fetch_offset;
};

struct fetcher {
    struct env *env;
    struct fetcher_config config;
    int32_t leader_id;
    char host[FETCHER_HOST_BYTES_MAX];
    uint16_t port;
    enum fetcher_state state;
    struct part **parts;
    uint32_t part_count;
    env_conn_id conn; /* 0: none */
    bool conn_open;
    struct frame_splitter splitter;
    env_timer_id timer; /* backoff or kick, 0: none */
    int32_t correlation_id;
    int16_t inflight_api; /* API_FETCH or API_LIST_OFFSETS, in AWAIT_RESPONSE */
    struct fetcher_sent *sent;
    uint32_t sent_count;
    uint64_t responses; /* for tests */
    uint64_t truncations;
    uint64_t out_of_range; /* OFFSET_OUT_OF_RANGE answers handled */
    uint64_t full_truncations;
};

void fetcher_config_default(struct fetcher_config *config, int32_t broker_id);
struct fetcher *fetcher_create(struct env *env, const struct fetcher_config *config,
                               int32_t leader_id, const char *host, uint16_t port);
/* Closes the connection, cancels the timer, frees. */
void fetcher_free(struct fetcher *f);
/* Frees memory only (after a crash). */
void fetcher_destroy(struct fetcher *f);
/* Where the leader listens (from the image's endpoints); a change reconnects. */
void fetcher_set_endpoint(struct fetcher *f, const char *host, uint16_t port);
/* Starts or stops fetching a partition (its leader is this fetcher's). */
void fetcher_add(struct fetcher *f, struct part *p);
void fetcher_remove(struct fetcher *f, const struct part *p);
bool fetcher_has(const struct fetcher *f, const struct part *p);

#endif
